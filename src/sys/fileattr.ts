// The inode flags of a real object (what lsattr reads): FS_IOC_GETFLAGS and FS_IOC_FSGETXATTR on
// an fd of it, and setting them (what chattr does): FS_IOC_SETFLAGS and FS_IOC_FSSETXATTR. The
// kernel's overlay reads them with vfs_fileattr_get, no open needed; from user space an ioctl
// needs an fd: an open one, or the object opened for reading, without following a link and
// without waiting on a fifo (only regular files and dirs are asked: the kernel's FUSE client
// sends no other).
import { closeSync, constants } from 'node:fs';
import { openSync } from './fs-bytes.js';
import { check, checkUnless, throwErrno } from './call.js';
import { c } from './libc.js';

const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_SETFLAGS = 0x40086602;
const FS_IOC_FSGETXATTR = 0x801c581f;
const FS_IOC_FSSETXATTR = 0x401c5820;
const ENOTTY = 25;
const EINVAL = 22;
const EOPNOTSUPP = 95;

export type FileattrKind = 'flags' | 'fsxattr';

/** Inode flags (FS_*_FL) chattr names a, i, S and A; append-only and immutable are also STATX_ATTR_*. */
export const FS_APPEND_FL = 0x20;
export const FS_IMMUTABLE_FL = 0x10;
export const FS_SYNC_FL = 0x8;
export const FS_NOATIME_FL = 0x80;
/** Their struct fsxattr counterparts (fsx_xflags). */
export const FS_XFLAG_IMMUTABLE = 0x8;
export const FS_XFLAG_APPEND = 0x10;

/** The flags word (4 bytes) or struct fsxattr (28 bytes) of the object open on `fd`. */
export function fileattrOf(fd: number, kind: FileattrKind, what: string): Buffer {
  // GETFLAGS writes an int: the kernel's own 64-bit command number, a 4-byte value.
  const out = Buffer.alloc(kind === 'flags' ? 8 : 28);
  check(c.ioctl(fd, kind === 'flags' ? FS_IOC_GETFLAGS : FS_IOC_FSGETXATTR, out) as number, kind === 'flags' ? 'FS_IOC_GETFLAGS' : 'FS_IOC_FSGETXATTR', what);
  return kind === 'flags' ? out.subarray(0, 4) : out;
}

/**
 * fileattrOf regular file or dir `path`; `noatime` opens it O_NOATIME (a lower object: the
 * overlay never touches a lower's times).
 */
export function realFileattr(path: string, kind: FileattrKind, noatime: boolean): Buffer {
  const fd = openForFileattr(path, noatime);
  try {
    return fileattrOf(fd, kind, path);
  } finally {
    closeSync(fd);
  }
}

/** Set the flags word (4 bytes) or struct fsxattr (28 bytes) `value` on the object open on `fd`. */
export function setFileattrOf(fd: number, kind: FileattrKind, value: Buffer, what: string): void {
  const arg = Buffer.alloc(kind === 'flags' ? 8 : 28);
  value.copy(arg, 0, 0, Math.min(value.length, arg.length));
  check(c.ioctl(fd, kind === 'flags' ? FS_IOC_SETFLAGS : FS_IOC_FSSETXATTR, arg) as number, kind === 'flags' ? 'FS_IOC_SETFLAGS' : 'FS_IOC_FSSETXATTR', what);
}

/**
 * The flags word of the object open on `fd`, or null where its filesystem keeps none (ENOTTY,
 * EINVAL as ntfs-3g answers, EOPNOTSUPP): ovl_copy_fileattr then copies nothing.
 */
export function flagsOrNull(fd: number, what: string): number | null {
  const out = flagsWord;
  const ret = checkUnless(c.ioctl(fd, FS_IOC_GETFLAGS, out) as number, [ENOTTY, EINVAL, EOPNOTSUPP], 'FS_IOC_GETFLAGS', what);
  return ret < 0 ? null : out.readUInt32LE(0);
}

/**
 * The one argument buffer of flagsOrNull and trySetFlags (each call reads or fills it before it
 * returns): a Buffer per call was most of a verify's garbage collection (40,000 calls on a root of
 * 20,000 files: 1.9 s of GC against 0.5 s without the flags check).
 */
const flagsWord = Buffer.alloc(8);

/** Open regular file or dir `path` for an ioctl (as realFileattr does); the caller closes the fd. */
export function openForFileattr(path: string, noatime: boolean): number {
  return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | (noatime ? constants.O_NOATIME : 0));
}

/**
 * The flags chattr sets that a copy of a file or dir must carry (FS_IOC_SETFLAGS takes them): s u c
 * S i a d A m j t D T C x P. Not the ones a filesystem keeps for itself (extents, inline data,
 * htree index, encryption, verity, casefold).
 */
export const USER_SETTABLE_FLAGS = 0x1 | 0x2 | 0x4 | FS_SYNC_FL | FS_IMMUTABLE_FL | FS_APPEND_FL | 0x40 | FS_NOATIME_FL
  | 0x400 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x800000 | 0x2000000 | 0x20000000;

/** The user-settable inode flags of regular file or dir `path` (0 where its filesystem keeps none), read without touching its atime. */
export function inodeFlagsOf(path: string): number {
  const fd = openForFileattr(path, true);
  try {
    return (flagsOrNull(fd, path) ?? 0) & USER_SETTABLE_FLAGS;
  } finally {
    closeSync(fd);
  }
}

/**
 * Give regular file or dir `path` the user-settable inode flags `flags` (what chattr would), keeping
 * the flags its filesystem keeps for itself. Call it last: once +i or +a is set, the data, owner,
 * mode, xattrs and times can no longer be changed. Where the filesystem refuses the whole set
 * (tmpfs takes only i, a, d and A: EOPNOTSUPP), the flags other than i and a it takes one by one are
 * kept, the rest dropped (a verify that compares flags names them); a refused i or a throws.
 */
export function setInodeFlags(path: string, flags: number): void {
  const fd = openForFileattr(path, false);
  try {
    const own = (flagsOrNull(fd, path) ?? 0) & ~USER_SETTABLE_FLAGS;
    const wanted = flags & USER_SETTABLE_FLAGS;
    if (trySetFlags(fd, own | wanted, path)) return;
    let kept = own;
    for (let bit = 1; bit !== 0; bit <<= 1) {
      if (wanted & bit & ~(FS_IMMUTABLE_FL | FS_APPEND_FL) && trySetFlags(fd, kept | bit, path)) kept |= bit;
    }
    if (!trySetFlags(fd, kept | (wanted & (FS_IMMUTABLE_FL | FS_APPEND_FL)), path)) throwErrno('FS_IOC_SETFLAGS', path, { errno: EOPNOTSUPP });
  } finally {
    closeSync(fd);
  }
}

/** FS_IOC_SETFLAGS `word` on `fd`: false where the filesystem refuses those flags (EOPNOTSUPP, EINVAL, ENOTTY). */
function trySetFlags(fd: number, word: number, path: string): boolean {
  flagsWord.writeUInt32LE(word >>> 0, 0);
  flagsWord.writeUInt32LE(0, 4);
  return checkUnless(c.ioctl(fd, FS_IOC_SETFLAGS, flagsWord) as number, [ENOTTY, EINVAL, EOPNOTSUPP], 'FS_IOC_SETFLAGS', path) >= 0;
}
