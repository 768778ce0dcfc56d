// lstat/fstat for the overlay core's hot paths: the fields of a real (layer) object's stat that
// the core reads, filled by one statx(2) into a reused buffer, as numbers except the inode number
// and the size (bigints: exact past 2^53). Why not node's lstatSync(…, {bigint: true}): it builds
// 18 BigInts and four Dates per call, and a merged listing or a lookup stats every entry it meets
// (a walk of 20k entries after a remount spent ~50 ms in BigIntStats and its Dates and a large
// part of its 160 ms of GC on them; per call 3.3–4.4 µs against 1.6–2.6 µs here). The records a
// node keeps live as long as it does, so fewer heap objects per record also make each scavenge
// copy less.
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import { AT_SYMLINK_NOFOLLOW, c } from './libc.js';
import { LITTLE_ENDIAN } from './host-order.js';
import { AT_EMPTY_PATH, STATX_BASIC_STATS, STATX_BTIME, devNumber } from './statx.js';
import { cPath } from '../format/byte-names.js';
import { heldDir, heldRest } from './held-path.js';

/** A stat's three times as statx gives them: seconds, then 0 ≤ nanoseconds < 1e9 (fuse_attr's form). */
export interface StatTimes {
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
  ctimeSec: number;
  ctimeNsec: number;
}

/** What only statx(2) carries, for FUSE_STATX: which fields the filesystem filled, birth time, STATX_ATTR_* bits. */
export interface StatxExtras {
  /** stx_mask: STATX_BTIME set when the filesystem gave a birth time. */
  mask: number;
  /** The birth time (0 when `mask` lacks STATX_BTIME). */
  btimeSec: number;
  btimeNsec: number;
  attributes: number;
  attributesMask: number;
}

export interface RealStat extends StatTimes, StatxExtras {
  /** st_dev as glibc's makedev encodes it (what node's lstat reports); below 2^44. */
  dev: number;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  /** st_rdev, encoded as dev */
  rdev: number;
  size: bigint;
  blksize: number;
  blocks: number;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

// The birth time too: a STATX request (each lookup's second half when a caller asks for btime, as
// node's lstat does) then answers from the stat its resolution took, with one syscall, not two.
const ASKED = STATX_BASIC_STATS | STATX_BTIME;
// An automount point in a layer is not triggered by a lookup, as the kernel's overlay (lookup_one)
// never triggers one; lstat(2) leaves it alone too, statx(2) only when asked.
const AT_NO_AUTOMOUNT = 0x800;
const AT_STATX_DONT_SYNC = 0x4000;
let LSTAT = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT;

/**
 * Ask statx not to revalidate (`AT_STATX_DONT_SYNC`), for a process whose layers all sit on local
 * filesystems, where that changes nothing (they have no remote attributes to fetch). What it does
 * change: a stat that crosses into a FUSE mount, such as a copy of the overlay's own mount that
 * propagation put inside a lower, answers from the kernel's cache instead of sending this very
 * daemon a GETATTR it cannot answer while it waits (src/fuse/submounts.ts). Not for network
 * layers (NFS, FUSE, …), whose attributes it would leave stale.
 */
export function statWithoutSync(on: boolean): void {
  LSTAT = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | (on ? AT_STATX_DONT_SYNC : 0);
}
const MISSING = [errnoNumber('ENOENT')];

// struct statx (include/uapi/linux/stat.h) is filled in host byte order, so views in host order
// read it right on any endianness. One buffer: the calls are synchronous and each reads it at once.
const buf = new ArrayBuffer(256);
const bytes = new Uint8Array(buf);
const u16 = new Uint16Array(buf);
const u32 = new Uint32Array(buf);
const u64 = new BigUint64Array(buf);
const i32 = new Int32Array(buf);
const NS = 1_000_000_000n;
/** Which u32 of a u64 holds its low bits: the first on little-endian hosts, the second on big-endian ones. */
const LOW_WORD = LITTLE_ENDIAN ? 0 : 1;

/** The signed 64-bit field at u64 index `i` as a double: exact below 2^53 (seconds since 1970 ± 285 My are). */
const s64At = (i: number): number => u32[2 * i + LOW_WORD]! + i32[2 * i + 1 - LOW_WORD]! * 0x100000000;
/** The unsigned 64-bit field at u64 index `i` as a double (a block count: below 2^53). */
const u64At = (i: number): number => u32[2 * i + LOW_WORD]! + u32[2 * i + 1 - LOW_WORD]! * 0x100000000;

/**
 * The statx the buffer holds, as a record of one shape (fields always set in this order). The
 * times stay numbers, as fuse_attr carries them; their nanosecond bigints are made only when read.
 */
class StatRecord implements RealStat {
  dev = devNumber(u32[34]!, u32[35]!);
  ino = u64[4]!;
  mode = u16[14]!;
  nlink = u32[4]!;
  uid = u32[5]!;
  gid = u32[6]!;
  rdev = devNumber(u32[32]!, u32[33]!);
  size = u64[5]!;
  blksize = u32[1]!;
  blocks = u64At(6);
  atimeSec = s64At(8);
  atimeNsec = u32[18]!;
  mtimeSec = s64At(14);
  mtimeNsec = u32[30]!;
  ctimeSec = s64At(12);
  ctimeNsec = u32[26]!;
  mask = u32[0]!;
  // Zero when the filesystem has none: the kernel copies out a zeroed struct (cp_statx).
  btimeSec = s64At(10);
  btimeNsec = u32[22]!;
  // STATX_ATTR_* bits are all below 2^32 (include/uapi/linux/stat.h): the u64's low word.
  attributes = u32[2 + LOW_WORD]!;
  attributesMask = u32[14 + LOW_WORD]!;

  get atimeNs(): bigint {
    return BigInt(this.atimeSec) * NS + BigInt(this.atimeNsec);
  }

  get mtimeNs(): bigint {
    return BigInt(this.mtimeSec) * NS + BigInt(this.mtimeNsec);
  }

  get ctimeNs(): bigint {
    return BigInt(this.ctimeSec) * NS + BigInt(this.ctimeNsec);
  }
}

/** lstat(2) of `path`; null when nothing is there (ENOENT), an OvlError naming `path` otherwise. */
export function lstatRealOrNull(path: string): RealStat | null {
  const rest = heldRest(path);
  const ret = checkUnless(c.statx(heldDir, cPath(rest), LSTAT, ASKED, bytes) as number, MISSING, 'lstat', path);
  return ret < 0 ? null : new StatRecord();
}

/**
 * lstat(2) of `name` in the dir open as `dirFd` (`path`: its full path, for errors); null when
 * nothing is there. A listing stats each of its names so: the kernel then walks one component,
 * not every one of the dir's path again (a fifth of a walk's daemon CPU was statx by full path,
 * most of it that walk), and koffi converts the name, not the path.
 */
export function lstatAtOrNull(dirFd: number, name: string, path: string): RealStat | null {
  const ret = checkUnless(c.statx(dirFd, cPath(name), LSTAT, ASKED, bytes) as number, MISSING, 'lstat', path);
  return ret < 0 ? null : new StatRecord();
}

/** lstat(2) of `path`; an OvlError naming `path` when it fails (ENOENT included). */
export function lstatReal(path: string): RealStat {
  const rest = heldRest(path);
  check(c.statx(heldDir, cPath(rest), LSTAT, ASKED, bytes) as number, 'lstat', path);
  return new StatRecord();
}

/** fstat(2) of an open fd (AT_EMPTY_PATH: also an O_PATH fd or a file whose name is gone). */
export function fstatReal(fd: number): RealStat {
  check(c.statx(fd, '', AT_EMPTY_PATH, ASKED, bytes) as number, 'fstat', `fd ${fd}`);
  return new StatRecord();
}
