// Every handler answers through these: run the synchronous body, reply with its value or with
// the negative errno of whatever it threw. Nothing escapes to fuse-native.
import { OvlError } from '../errors.js';
import { negErrno } from './errno.js';

const debug = process.env.OVL_FUSE_DEBUG !== undefined;

function report(op: string, err: unknown): number {
  const errno = negErrno(err);
  // Anything that is not an errno-carrying error is a bug in the overlay: show it when debugging.
  if (debug && !(err instanceof OvlError) && !(err as { syscall?: string })?.syscall) {
    process.stderr.write(`ovl-fuse: ${op}: ${err instanceof Error ? err.stack : String(err)}\n`);
  }
  return errno;
}

/** Reply `cb(0, value)` or `cb(-errno)`. */
export function reply<T>(op: string, cb: (err: number, value?: T) => void, body: () => T): void {
  let value: T;
  try {
    value = body();
  } catch (err) {
    cb(report(op, err));
    return;
  }
  cb(0, value);
}

/** Reply with a count (read/write): `cb(n)` or `cb(-errno)`. */
export function replyCount(op: string, cb: (n: number) => void, body: () => number): void {
  let n: number;
  try {
    n = body();
  } catch (err) {
    cb(report(op, err));
    return;
  }
  cb(n);
}

/** Reply with several values (readdir's names and stats): `cb(0, ...values)` or `cb(-errno)`. */
export function replyMany<A extends unknown[]>(op: string, cb: (err: number, ...values: Partial<A>) => void, body: () => A): void {
  let values: A;
  try {
    values = body();
  } catch (err) {
    cb(report(op, err), ...([] as unknown as Partial<A>));
    return;
  }
  cb(0, ...values);
}
