// Turns a failed libc call into an OvlError carrying the errno, the operation and the path.
import { OvlError, errnoName } from '../errors.js';
import { lastErrno } from './libc.js';

/** Throw an OvlError for the current errno (a call that just failed). */
export function throwErrno(op: string, path?: string): never {
  const code = errnoName(lastErrno());
  throw new OvlError(code, `${op} failed: ${code}`, path === undefined ? {} : { path });
}

/** Throw an OvlError for the current errno when `ret` is negative; otherwise return `ret`. */
export function check(ret: number, op: string, path?: string): number {
  if (ret >= 0) return ret;
  return throwErrno(op, path);
}
