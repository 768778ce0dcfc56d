// The one mapping from anything a handler throws to the negative errno FUSE answers with.
import { OvlError, errnoOf } from '../errors.js';

/** Negative errno for a thrown value (OvlError, Node system error; anything else is EIO). */
export function negErrno(err: unknown): number {
  return -errnoOf(err);
}

/**
 * Throw the errno the kernel would return, with the merged path for logs. An errno is an answer,
 * not a bug (the loop logs only non-errno throws), so no stack trace is captured: that capture
 * was ~15 µs of every ENODATA getxattr, the one the kernel sends before each write.
 */
export function fail(code: string, path: string, why = code): never {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let err: OvlError;
  try {
    err = new OvlError(code, why, { path });
  } finally {
    Error.stackTraceLimit = limit;
  }
  throw err;
}
