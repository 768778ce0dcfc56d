// GETXATTR and LISTXATTR replies: a size-0 request is a probe answered with the size alone
// (fuse_getxattr_out); a value larger than the caller's buffer is ERANGE, as getxattr(2) says.
import { OvlError } from '../../errors.js';
import { encodeXattrSize } from '../protocol/index.js';

/** Answer with `value` (or its size, or ERANGE) at `o`; returns the end offset. */
export function replyXattr(out: Buffer, o: number, size: number, value: Buffer): number {
  if (size === 0) return encodeXattrSize(out, o, value.length);
  if (value.length > size) throw new OvlError('ERANGE', `xattr value of ${value.length} bytes does not fit ${size}`);
  return o + value.copy(out, o);
}

/** The NUL-separated name list listxattr(2) returns. */
export function xattrList(names: string[]): Buffer {
  return Buffer.from(names.map((n) => n + '\0').join(''));
}
