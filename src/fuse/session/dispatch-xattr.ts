// GETXATTR and LISTXATTR replies: a size-0 request is a probe answered with the size alone
// (fuse_getxattr_out); a value larger than the caller's buffer is ERANGE, as getxattr(2) says.
import { OvlError } from '../../errors.js';
import { encodeXattrSize } from '../protocol/index.js';
import { nameBytes } from '../../format/byte-names.js';
import type { XattrNames } from './filesystem.js';

/** Answer with `value` (or its size, or ERANGE) at `o`; returns the end offset. */
export function replyXattr(out: Buffer, o: number, size: number, value: Buffer): number {
  if (size === 0) return encodeXattrSize(out, o, value.length);
  if (value.length > size) throw new OvlError('ERANGE', `xattr value of ${value.length} bytes does not fit ${size}`);
  return o + value.copy(out, o);
}

/**
 * Answer a LISTXATTR at `o`: the NUL-separated names, or, for a size-0 probe, `realSize`; a
 * buffer smaller than `realSize` is ERANGE (filesystem.ts, listxattr).
 */
export function replyXattrList(out: Buffer, o: number, size: number, list: XattrNames): number {
  if (size === 0) return encodeXattrSize(out, o, list.realSize);
  if (size < list.realSize) throw new OvlError('ERANGE', `xattr list needs ${list.realSize} bytes, not ${size}`);
  // Each name's own bytes (../../format/byte-names.ts).
  return replyXattr(out, o, size, nameBytes(list.names.map((n) => n + '\0').join('')));
}
