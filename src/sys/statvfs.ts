// statvfs(2) for the fields node:fs.statfsSync leaves out: f_namemax, f_fsid and the mount flags.
import { statfsSync } from './fs-bytes.js';
import { check } from './call.js';
import { c } from './libc.js';
import { cPath } from '../format/byte-names.js';

export interface StatVfs {
  namemax: number;
  fsid: bigint;
  flag: number;
}

/** statvfs of `path` (glibc's 64-bit struct statvfs: namemax at byte 80, fsid at 64, flag at 72). */
export function statVfs(path: string): StatVfs {
  const buf = Buffer.alloc(128);
  check(c.statvfs(cPath(path), buf) as number, 'statvfs', path);
  return { fsid: buf.readBigUInt64LE(64), flag: Number(buf.readBigUInt64LE(72)), namemax: Number(buf.readBigUInt64LE(80)) };
}

/**
 * f_type of the filesystems whose getattr never revalidates, so statx's AT_STATX_DONT_SYNC is a
 * no-op on them (include/uapi/linux/magic.h): ext2/3/4, xfs, btrfs, tmpfs, ramfs, f2fs, bcachefs,
 * zfs, squashfs, erofs, iso9660, vfat, exfat, ntfs3, jfs, reiserfs, nilfs2, hfsplus.
 */
const LOCAL_TYPES = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0xf2f52010, 0xca451a4e, 0x2fc12fc1, 0x73717368, 0xe0f5e1e2, 0x9660, 0x4d44, 0x2011bab0,
  0x7366746e, 0x3153464a, 0x52654973, 0x3434, 0x482b,
]);

/** Is the filesystem at `path` one of LOCAL_TYPES? */
export function onLocalFilesystem(path: string): boolean {
  return LOCAL_TYPES.has(statfsSync(path).type);
}
