// Turns a failed libc call into an OvlError carrying the errno, the operation and the path. Every
// wrapper in src/sys reports a failure through here, so all syscall errors read alike and carry
// the errno a FUSE reply or a conformance diff needs.
import { OvlError, errnoCodeOf, errnoName } from '../errors.js';
import { lastErrno } from './libc.js';

export interface ErrnoDetail {
  /** The errno to report; by default the current one (of a call that just failed). */
  errno?: number;
  /** Why the call was refused, when we know better than the errno's name (mount options). */
  why?: string;
}

/** Throw an OvlError for the current errno (a call that just failed), or for `detail.errno`. */
export function throwErrno(op: string, path?: string, detail: ErrnoDetail = {}): never {
  const code = errnoName(detail.errno ?? lastErrno());
  const message = detail.why === undefined ? `${op} failed: ${code}` : `${op}: ${detail.why} (${code})`;
  throw new OvlError(code, message, path === undefined ? {} : { path });
}

/** Throw an OvlError for the current errno when `ret` is negative; otherwise return `ret`. */
export function check(ret: number, op: string, path?: string): number {
  if (ret >= 0) return ret;
  return throwErrno(op, path);
}

/**
 * As `check`, but a failure whose errno is one of `answers` is an answer, not an error: it comes
 * back as that errno negated (ENODATA for an unset xattr, EINTR from poll, EXDEV from a copy).
 */
export function checkUnless(ret: number, answers: readonly number[], op: string, path?: string): number {
  if (ret >= 0) return ret;
  const errno = lastErrno();
  if (answers.includes(errno)) return -errno;
  return throwErrno(op, path, { errno });
}

/**
 * A node:fs call made on src/sys's behalf (open of a device or a directory) failed: report it as
 * the OvlError a libc call would give, with the errno node read and the operation and path.
 */
export function throwFsError(err: unknown, op: string, path: string, why?: string): never {
  const code = errnoCodeOf(err);
  const message = why === undefined ? `${op} failed: ${code}` : `${op}: ${why} (${code})`;
  throw new OvlError(code, message, { path, cause: err });
}
