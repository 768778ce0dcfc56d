// Creating and moving filesystem objects that node:fs cannot: device nodes (whiteouts), fifos,
// renameat2 with its flags, and timestamps with nanoseconds (UTIME_NOW/UTIME_OMIT included).
import { WHITEOUT_MODE, WHITEOUT_RDEV } from '../format/index.js';
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import {
  AT_FDCWD,
  AT_SYMLINK_NOFOLLOW,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
  UTIME_NOW,
  UTIME_OMIT,
  c,
} from './libc.js';

/** Linux makedev for the glibc dev_t layout. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mknod(2): `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFREG). */
export function mknod(path: string, mode: number, rdev: bigint | number = 0): void {
  check(c.mknod(path, mode, BigInt(rdev)) as number, 'mknod', path);
}

/** Create a kernel-style whiteout (char 0/0, mode 0000) at `path`. */
export function makeWhiteout(path: string): void {
  mknod(path, WHITEOUT_MODE, WHITEOUT_RDEV);
}

export type RenameFlag = 'noreplace' | 'exchange' | 'whiteout';
const RENAME_BITS: Record<RenameFlag, number> = {
  noreplace: RENAME_NOREPLACE,
  exchange: RENAME_EXCHANGE,
  whiteout: RENAME_WHITEOUT,
};

/** renameat2(2) on absolute or cwd-relative paths, e.g. ['whiteout'] leaves a whiteout at `from`. */
export function rename2(from: string, to: string, flags: readonly RenameFlag[] = []): void {
  const bits = flags.reduce((acc, f) => acc | RENAME_BITS[f], 0);
  check(c.renameat2(AT_FDCWD, from, AT_FDCWD, to, bits) as number, 'renameat2', from);
}

/** A timestamp for setTimes: exact seconds+nanoseconds, 'now', or 'omit' (leave unchanged). */
export type TimeSpec = { sec: number | bigint; nsec: number } | 'now' | 'omit';

/** Two struct timespec, reused: koffi passes a typed array as a pointer to its memory. */
const TIMES = new BigInt64Array(4);
const NOW = BigInt(UTIME_NOW);
const OMIT = BigInt(UTIME_OMIT);

/** `t` as struct timespec `i` of TIMES. */
function toTimespec(t: TimeSpec, i: number): void {
  TIMES[2 * i] = typeof t === 'string' ? 0n : BigInt(t.sec);
  TIMES[2 * i + 1] = t === 'now' ? NOW : t === 'omit' ? OMIT : BigInt(t.nsec);
}

/**
 * utimensat(2) with nanoseconds; `follow: false` sets the times of a symlink itself. An fd for
 * `path` sets the times of the open file (futimens). The times go as a typed array rather than
 * koffi structs built from objects (~1 µs less a call, twice per copy-up).
 */
export function setTimes(path: string | number, atime: TimeSpec, mtime: TimeSpec, { follow = false } = {}): void {
  toTimespec(atime, 0);
  toTimespec(mtime, 1);
  const times = TIMES;
  const ret = typeof path === 'number' ? c.futimens(path, times) : c.utimensat(AT_FDCWD, path, times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  check(ret as number, 'utimensat', typeof path === 'number' ? `fd ${path}` : path);
}

// statx(2) of timesOf, into one reused buffer: stx_atime at byte 64, stx_mtime at 112, each an s64
// tv_sec and a u32 tv_nsec (include/uapi/linux/stat.h), read through word views of the buffer.
const STATX_ATIME = 0x20;
const STATX_MTIME = 0x40;
const TIMES_BUF = new Uint8Array(256);
const TIMES_U32 = new Uint32Array(TIMES_BUF.buffer);
const TIMES_I32 = new Int32Array(TIMES_BUF.buffer);
const MISSING = [errnoNumber('ENOENT')];

/** The timestamp at byte `off` of TIMES_BUF. */
function statxTime(off: number): TimeSpec {
  const w = off / 4;
  return { sec: TIMES_I32[w + 1]! * 0x1_0000_0000 + TIMES_U32[w]!, nsec: TIMES_U32[w + 2]! };
}

/**
 * The atime and mtime of `path` (not following a final symlink), for setTimes to restore later;
 * null if there is nothing at `path`. Why not lstatSync: a copy-up keeps its upper parent's times,
 * and a BigIntStats (14 BigInts, four Dates) was built for these two alone on every copy-up.
 */
export function timesOf(path: string): [atime: TimeSpec, mtime: TimeSpec] | null {
  const ret = checkUnless(c.statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_ATIME | STATX_MTIME, TIMES_BUF) as number, MISSING, 'statx', path);
  return ret < 0 ? null : [statxTime(64), statxTime(112)];
}

/** Split a BigInt nanosecond timestamp (fs.BigIntStats.mtimeNs) into a TimeSpec. */
export function timeFromNs(ns: bigint): TimeSpec {
  return { sec: ns / 1_000_000_000n, nsec: Number(ns % 1_000_000_000n) };
}
