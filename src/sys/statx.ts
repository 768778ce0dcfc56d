// statx(2), one reader of struct statx (include/uapi/linux/stat.h; the same on every
// architecture, unlike struct stat) for two uses: the fields node:fs does not give, as the kernel
// fills them (stx_mask, attributes, birth time, O_DIRECT alignment: ovl-check observes them), and
// a cheap lstat relative to an open directory for the dedup scan, which stats every entry of a
// data root (node's lstatSync(…, {bigint: true}) builds Dates per call and resolves the whole
// path again; measured on 121k entries: 333 ms against 767 ms).
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import { AT_SYMLINK_NOFOLLOW, c } from './libc.js';
import { LITTLE_ENDIAN } from './host-order.js';
import type { TimeSpec } from './nodes.js';
import { cPath } from '../format/byte-names.js';
import { heldDir, heldRest } from './held-path.js';

export const STATX_BTIME = 0x800;
export const STATX_DIOALIGN = 0x2000;
export const STATX_BASIC_STATS = 0x7ff;
const STATX_MNT_ID = 0x1000;
/** statx/fstatat on the fd itself when the name is empty (an O_PATH fd, a file whose name is gone). */
export const AT_EMPTY_PATH = 0x1000;
/** One buffer per thread for the hot scan path; statx fills it synchronously. */
const buf = Buffer.alloc(256);
// The same bytes as native-endian words, as the kernel wrote them (struct statx is native-endian):
// lstatAtRow reads 13 fields per entry of a data root, and a Buffer read is a call with a bounds check.
const u32 = new Uint32Array(buf.buffer, buf.byteOffset, 64);
const i32 = new Int32Array(buf.buffer, buf.byteOffset, 64);
const u16 = new Uint16Array(buf.buffer, buf.byteOffset, 128);

const nsAt = (b: Buffer, off: number): bigint => b.readBigInt64LE(off) * 1_000_000_000n + BigInt(b.readUInt32LE(off + 8));

export interface Statx {
  mask: number;
  blksize: number;
  attributes: bigint;
  attributesMask: bigint;
  /** Birth time in ns, when `mask` has STATX_BTIME. */
  btimeNs?: bigint;
  ctimeNs: bigint;
  dioMemAlign?: number;
  dioOffsetAlign?: number;
}

/** statx of `path` without following a final symlink, asking for the basic stats, btime and DIO alignment. */
export function statxOf(path: string): Statx {
  const rest = heldRest(path);
  return statxAt(heldDir, rest, AT_SYMLINK_NOFOLLOW, path);
}

/** statx of an open file (AT_EMPTY_PATH), e.g. one whose name is gone; `path` names it in errors. */
export function statxOfFd(fd: number, path: string): Statx {
  return statxAt(fd, '', AT_EMPTY_PATH, path);
}

/**
 * The id of the mount `path` (a dir, followed if a link) lies on (stx_mnt_id): two paths on one
 * filesystem may still lie on two mounts of it (a bind mount), which st_dev cannot tell apart.
 */
export function mountIdOf(path: string): bigint {
  const b = Buffer.alloc(256);
  const rest = heldRest(path);
  check(c.statx(heldDir, cPath(rest), 0, STATX_MNT_ID, b) as number, 'statx', path);
  return b.readBigUInt64LE(144);
}

function statxAt(dirfd: number, name: string, flags: number, path: string): Statx {
  const b = Buffer.alloc(256);
  check(c.statx(dirfd, cPath(name), flags, STATX_BASIC_STATS | STATX_BTIME | STATX_DIOALIGN, b) as number, 'statx', path);
  const mask = b.readUInt32LE(0) & ~STATX_MNT_ID;
  const s: Statx = {
    mask,
    blksize: b.readUInt32LE(4),
    attributes: b.readBigUInt64LE(8),
    attributesMask: b.readBigUInt64LE(56),
    ctimeNs: nsAt(b, 96),
  };
  if (mask & STATX_BTIME) s.btimeNs = nsAt(b, 80);
  if (mask & STATX_DIOALIGN) {
    s.dioMemAlign = b.readUInt32LE(152);
    s.dioOffsetAlign = b.readUInt32LE(156);
  }
  return s;
}

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

/**
 * glibc's makedev: the dev_t that stat(2) and node report for a major:minor pair, as a number
 * (exact: below 2^44 for Linux's 12-bit majors and 20-bit minors; nodes.ts's `makedev` is the
 * bigint one mknod(2) takes).
 */
export function devNumber(major: number, minor: number): number {
  return (major & 0xfff) * 256 + (minor & 0xff) + (minor >>> 8) * 0x100000 + Math.floor(major / 0x1000) * 0x100000000000;
}

/** lstat of `name` in the directory open as `dirfd`; throws an OvlError naming `path`. */
export function lstatAt(dirfd: number, name: string, path: string): DirStat {
  statxInto(dirfd, name, path);
  const inoHi = buf.readUInt32LE(36);
  return {
    // Inode numbers past 2^53 (possible on XFS/btrfs) stay exact as bigints.
    ino: inoHi < 0x200000 ? word64(32) : buf.readBigUInt64LE(32),
    dev: devNumber(buf.readUInt32LE(136), buf.readUInt32LE(140)),
    mode: buf.readUInt16LE(28),
    nlink: buf.readUInt32LE(16),
    uid: buf.readUInt32LE(20),
    gid: buf.readUInt32LE(24),
    rdev: devNumber(buf.readUInt32LE(128), buf.readUInt32LE(132)),
    size: word64(40),
    blocks: word64(48),
    atimeNs: nsAt(buf, 64),
    mtimeNs: nsAt(buf, 112),
  };
}

function statxInto(dirfd: number, name: string, path: string): void {
  check(c.statx(dirfd, cPath(name), AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf) as number, 'statx', path);
}

/** Where `lstatAtRow` puts each field of one entry: a row of STAT_FIELDS numbers. */
export const STAT = { mode: 0, nlink: 1, uid: 2, gid: 3, size: 4, blocks: 5, dev: 6, ino: 7, rdev: 8, atimeSec: 9, atimeNsec: 10, mtimeSec: 11, mtimeNsec: 12 } as const;
export const STAT_FIELDS = 13;


/** Where a 64-bit field's low word is: byte 0 of it on little-endian machines, byte 4 on big-endian ones. */
const LO = LITTLE_ENDIAN ? 0 : 4;

/** The unsigned 64-bit field at byte `off` as a double (exact within 2^53). */
const word64 = (off: number): number => u32[(off + LO) >> 2]! + u32[(off + 4 - LO) >> 2]! * 0x100000000;

/** The signed 64-bit field at byte `off` as a double: exact within 2^53 (seconds since 1970 always are). */
const s64 = (off: number): number => u32[(off + LO) >> 2]! + i32[(off + 4 - LO) >> 2]! * 0x100000000;

/**
 * lstatAt's fields as numbers into row `row` of `out` (layout: STAT), no object and no bigint: the
 * dedup scan threads stat every entry of a data root and hand the rows over as they are. `ino` is
 * -1 when it does not fit in a double (read that entry with lstatAt). dirfd AT_FDCWD takes a path.
 */
export function lstatAtRow(dirfd: number, name: string, path: string, out: Float64Array, row: number): void {
  statxInto(dirfd, name, path);
  const o = row * STAT_FIELDS;
  // Word n is byte 4n of struct statx; a 64-bit field's low word is at LO.
  out[o + STAT.mode] = u16[28 >> 1]!;
  out[o + STAT.nlink] = u32[16 >> 2]!;
  out[o + STAT.uid] = u32[20 >> 2]!;
  out[o + STAT.gid] = u32[24 >> 2]!;
  out[o + STAT.size] = word64(40);
  out[o + STAT.blocks] = word64(48);
  out[o + STAT.dev] = devNumber(u32[136 >> 2]!, u32[140 >> 2]!);
  out[o + STAT.ino] = u32[(36 - LO) >> 2]! < 0x200000 ? word64(32) : -1;
  out[o + STAT.rdev] = devNumber(u32[128 >> 2]!, u32[132 >> 2]!);
  out[o + STAT.atimeSec] = s64(64);
  out[o + STAT.atimeNsec] = u32[72 >> 2]!;
  out[o + STAT.mtimeSec] = s64(112);
  out[o + STAT.mtimeNsec] = u32[120 >> 2]!;
}

const STATX_ATIME = 0x20;
const STATX_MTIME = 0x40;
const MISSING = [errnoNumber('ENOENT')];

/** The statx_timestamp at byte `off` of the buffer, as numbers (no BigInt). */
const timeAt = (off: number): TimeSpec => ({ sec: s64(off), nsec: buf.readUInt32LE(off + 8) });

/**
 * The atime and mtime of `path` (not following a final symlink), for setTimes to restore later;
 * null if there is nothing at `path`. Why not lstatSync: a copy-up keeps its upper parent's times,
 * and a BigIntStats (14 BigInts, four Dates) was built for these two alone on every copy-up.
 */
export function timesOf(path: string): [atime: TimeSpec, mtime: TimeSpec] | null {
  const rest = heldRest(path);
  const ret = checkUnless(c.statx(heldDir, cPath(rest), AT_SYMLINK_NOFOLLOW, STATX_ATIME | STATX_MTIME, buf) as number, MISSING, 'statx', path);
  return ret < 0 ? null : [timeAt(64), timeAt(112)];
}

/** STATX_ATTR_IMMUTABLE and STATX_ATTR_APPEND: chattr +i and +a, in the attributes every statx fills. */
export const STATX_ATTR_IMMUTABLE = 0x10;
export const STATX_ATTR_APPEND = 0x20;

/** The chattr flag in a statx attributes word that pins an entry (no unlink, no rename, no change): 'i', 'a', or null. */
export function pinFlag(attributes: number): 'i' | 'a' | null {
  return attributes & STATX_ATTR_IMMUTABLE ? 'i' : attributes & STATX_ATTR_APPEND ? 'a' : null;
}

/**
 * Whether `path` (not followed) is a directory, and its low statx attributes word (STATX_ATTR_*):
 * one call tells whether it can be unlinked or its dir entries changed, no open needed.
 */
export function lstatAttributes(path: string): { dir: boolean; attributes: number } {
  const rest = heldRest(path);
  check(c.statx(heldDir, cPath(rest), AT_SYMLINK_NOFOLLOW, 0x1 /* STATX_TYPE */, buf) as number, 'statx', path);
  return { dir: (buf.readUInt16LE(28) & 0o170000) === 0o040000, attributes: buf.readUInt32LE(8) };
}
