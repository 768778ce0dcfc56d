// Turns a failed libc call into an OvlError carrying the errno, the operation and the path.
import { OvlError, errnoName } from '../errors.js';
import { lastErrno } from './libc.js';

/** Throw an OvlError for the current errno when `ret` is negative; otherwise return `ret`. */
export function check(ret: number, op: string, path?: string): number {
  if (ret >= 0) return ret;
  const errno = lastErrno();
  const code = errnoName(errno);
  throw new OvlError(code, `${op} failed: ${code}`, path === undefined ? {} : { path });
}
