// lstat relative to an open directory, through statx(2) into one reused buffer: the scan of a
// data root stats every entry, and node's lstatSync(…, {bigint: true}) builds a BigIntStats with
// Date objects per call and resolves the whole path again. statx's struct is the same on every
// architecture, unlike struct stat. Measured on 121k entries: 333 ms against 767 ms.
import { check } from './call.js';
import { c } from './libc.js';

const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
const buf = Buffer.alloc(256);

export interface DirStat {
  /** st_dev as glibc's makedev encodes it (what node's lstat reports) */
  dev: number;
  ino: number | bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** st_rdev, encoded like dev */
  rdev: number;
  size: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
}

/** glibc's makedev: the dev_t that stat(2) and node report for a major:minor pair. */
function makedev(major: number, minor: number): number {
  return (major & 0xfff) * 256 + (minor & 0xff) + (minor >>> 8) * 0x100000 + Math.floor(major / 0x1000) * 0x100000000000;
}

const u64 = (off: number): number => buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) * 0x100000000;
const ns = (off: number): bigint => buf.readBigInt64LE(off) * 1_000_000_000n + BigInt(buf.readUInt32LE(off + 8));

/** lstat of `name` in the directory open as `dirfd`; throws an OvlError naming `path`. */
export function lstatAt(dirfd: number, name: string, path: string): DirStat {
  check(c.statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) as number, 'statx', path);
  const inoHi = buf.readUInt32LE(36);
  return {
    // Inode numbers past 2^53 (possible on XFS/btrfs) stay exact as bigints.
    ino: inoHi < 0x200000 ? u64(32) : buf.readBigUInt64LE(32),
    dev: makedev(buf.readUInt32LE(136), buf.readUInt32LE(140)),
    mode: buf.readUInt16LE(28),
    nlink: buf.readUInt32LE(16),
    uid: buf.readUInt32LE(20),
    gid: buf.readUInt32LE(24),
    rdev: makedev(buf.readUInt32LE(128), buf.readUInt32LE(132)),
    size: u64(40),
    blocks: u64(48),
    atimeNs: ns(64),
    mtimeNs: ns(112),
  };
}
