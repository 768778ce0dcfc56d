// The one mapping from anything a handler throws to the negative errno FUSE answers with.
import { OvlError, errnoOf } from '../errors.js';

/** Negative errno for a thrown value (OvlError, Node system error; anything else is EIO). */
export function negErrno(err: unknown): number {
  return -errnoOf(err);
}

/** Throw the errno the kernel would return, with the merged path for logs. */
export function fail(code: string, path: string, why = code): never {
  throw new OvlError(code, why, { path });
}
