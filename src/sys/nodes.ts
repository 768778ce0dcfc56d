// Creating and moving filesystem objects that node:fs cannot: device nodes (whiteouts), fifos,
// renameat2 with its flags, timestamps with nanoseconds (UTIME_NOW/UTIME_OMIT included), and a
// creator's umask.
import { WHITEOUT_MODE, WHITEOUT_RDEV } from '../format/index.js';
import { check } from './call.js';
import {
  AT_SYMLINK_NOFOLLOW,
  RENAME_EXCHANGE,
  RENAME_NOREPLACE,
  RENAME_WHITEOUT,
  UTIME_NOW,
  UTIME_OMIT,
  c,
} from './libc.js';
import { cPath } from '../format/byte-names.js';
import { heldAt, heldDir, heldRest } from './held-path.js';

/** Linux makedev for the glibc dev_t layout. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mknod(2): `mode` includes the file type bits (S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK, S_IFREG). */
export function mknod(path: string, mode: number, rdev: bigint | number = 0): void {
  const rest = heldRest(path);
  check(c.mknodat(heldDir, cPath(rest), mode, BigInt(rdev)) as number, 'mknod', path);
}

/**
 * Run `make` (which creates something) under the process umask `mask`, then put back a umask of
 * 0, the daemon's own (every other mode it gives is exact). A creator's umask belongs to the
 * filesystem that creates: ext4 or tmpfs ignore it when the parent dir has a default ACL, and
 * apply it otherwise (posix_acl_create), which only their create can tell. The umask is the
 * process's, so this is for a process whose creating is done by one thread at a time.
 */
export function withUmask<T>(mask: number, make: () => T): T {
  if (mask === 0) return make();
  c.umask(mask);
  try {
    return make();
  } finally {
    c.umask(0);
  }
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
  const [fromDir, fromRest] = heldAt(from);
  const [toDir, toRest] = heldAt(to);
  check(c.renameat2(fromDir, cPath(fromRest), toDir, cPath(toRest), bits) as number, 'renameat2', from);
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
  const rest = typeof path === 'number' ? '' : heldRest(path);
  const ret = typeof path === 'number' ? c.futimens(path, times) : c.utimensat(heldDir, cPath(rest), times, follow ? 0 : AT_SYMLINK_NOFOLLOW);
  check(ret as number, 'utimensat', typeof path === 'number' ? `fd ${path}` : path);
}

/** Split a BigInt nanosecond timestamp (fs.BigIntStats.mtimeNs) into a TimeSpec. */
export function timeFromNs(ns: bigint): TimeSpec {
  return { sec: ns / 1_000_000_000n, nsec: Number(ns % 1_000_000_000n) };
}
