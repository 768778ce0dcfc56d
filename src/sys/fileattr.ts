// The inode flags of a real object (what lsattr reads): FS_IOC_GETFLAGS and FS_IOC_FSGETXATTR on
// an fd of it. The kernel's overlay reads them with vfs_fileattr_get, no open needed; from user
// space an ioctl needs an fd: an open one, or the object opened for reading, without following a
// link and without waiting on a fifo (only regular files and dirs are asked: the kernel's FUSE
// client sends no other).
import { closeSync, constants, openSync } from 'node:fs';
import { check } from './call.js';
import { c } from './libc.js';

const FS_IOC_GETFLAGS = 0x80086601;
const FS_IOC_FSGETXATTR = 0x801c581f;

export type FileattrKind = 'flags' | 'fsxattr';

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
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | (noatime ? constants.O_NOATIME : 0));
  try {
    return fileattrOf(fd, kind, path);
  } finally {
    closeSync(fd);
  }
}
