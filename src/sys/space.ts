// File space and unnamed files on real fds: fallocate(2) in every mode, lseek(2) SEEK_DATA/
// SEEK_HOLE, copy_file_range(2) at explicit offsets, a whole file's clone, read advice, and
// linking an O_TMPFILE fd to a name.
// Node has none of these beyond plain lseek; results and errnos are the real filesystem's.
import { readSync, writeSync } from 'node:fs';
import { errnoNumber } from '../errors.js';
import { check, checkUnless, throwErrno, throwFsError } from './call.js';
import { AT_EMPTY_PATH, AT_FDCWD, c, lastErrno } from './libc.js';
import { heldDir, heldRest } from './held-path.js';
import { cPath } from '../format/byte-names.js';

// fallocate modes (linux/falloc.h).
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;
export const FALLOC_FL_COLLAPSE_RANGE = 0x08;
export const FALLOC_FL_ZERO_RANGE = 0x10;
export const FALLOC_FL_INSERT_RANGE = 0x20;
export const FALLOC_FL_UNSHARE_RANGE = 0x40;
export const SEEK_SET = 0;
export const SEEK_DATA = 3;
export const SEEK_HOLE = 4;
/**
 * O_LARGEFILE as the kernel reports it in a file's flags (FUSE OPEN passes them on; node's
 * constants lack it, the value is the architecture's).
 */
export const O_LARGEFILE = process.arch === 'arm64' ? 0o400000 : 0o100000;
/** O_CLOEXEC (libc.ts has it): node adds it to every open; a kernel's flags may carry it too. */
export { O_CLOEXEC } from './libc.js';
/** O_TMPFILE as open(2) takes it (it includes O_DIRECTORY). */
export const O_TMPFILE = 0o20200000;
const AT_SYMLINK_FOLLOW = 0x400;
const F_SETFL = 4;
const NO_EMPTY_PATH = [errnoNumber('ENOENT')];

/** fallocate(2) on `fd`; `mode` is any combination of FALLOC_FL_* the filesystem supports. */
export function fallocate(fd: number, mode: number, offset: number | bigint, length: number | bigint): void {
  check(c.fallocate(fd, mode, BigInt(offset), BigInt(length)) as number, 'fallocate', `fd ${fd}`);
}

/**
 * lseek(2) with any whence (SEEK_DATA/SEEK_HOLE give ENXIO at or past EOF); the new offset, a
 * bigint from 2^53 on (koffi gives a 64-bit result as a number only while it is exact).
 */
export function seek(fd: number, offset: number | bigint, whence: number): number | bigint {
  return check(c.lseek(fd, offset, whence) as number, 'lseek', `fd ${fd}`);
}

/**
 * fcntl(F_SETFL): set the status flags of `fd` that an open fd can change (O_APPEND, O_NONBLOCK,
 * O_NOATIME, O_DIRECT, O_ASYNC; the others in `flags` are ignored by the kernel).
 */
export function setStatusFlags(fd: number, flags: number): void {
  check(c.fcntl(fd, F_SETFL, 'int', flags) as number, 'fcntl', `fd ${fd}`);
}

/** copy_file_range(2) at explicit offsets, fd positions untouched: its raw return (−1 and errno on failure). */
function rangeCall(fdIn: number, offIn: number | bigint, fdOut: number, offOut: number | bigint, len: number | bigint, flags: number): number {
  const inPos = Buffer.alloc(8);
  const outPos = Buffer.alloc(8);
  inPos.writeBigInt64LE(BigInt(offIn));
  outPos.writeBigInt64LE(BigInt(offOut));
  return c.copy_file_range(fdIn, inPos, fdOut, outPos, len, flags) as number;
}

/** copy_file_range(2) from `offIn` of `fdIn` to `offOut` of `fdOut`, fd positions untouched; bytes copied. */
export function copyRange(
  fdIn: number, offIn: number | bigint, fdOut: number, offOut: number | bigint, len: number | bigint, flags = 0,
): number {
  return check(rangeCall(fdIn, offIn, fdOut, offOut, len, flags), 'copy_file_range', `fd ${fdIn}`);
}

/** copy_file_range's answers where it cannot copy in the kernel: across filesystems, or not on this one. */
export const NO_KERNEL_COPY = ['EXDEV', 'EINVAL', 'ENOSYS', 'EOPNOTSUPP'].map(errnoNumber);
let byHandBuf: Buffer | null = null;

/**
 * copyRange, or where the kernel cannot copy between these two files (layers on different
 * filesystems: EXDEV) the same bytes through userspace, pread and pwrite at the same offsets, so
 * a caller that copies only data extents still keeps the holes between them (the kernel's
 * overlay copies with do_splice_direct there, holes kept). Returns the bytes copied, 0 at the end.
 */
export function copyRangeAnyway(fdIn: number, off: number, fdOut: number, len: number): number {
  const n = checkUnless(rangeCall(fdIn, off, fdOut, off, len, 0), NO_KERNEL_COPY, 'copy_file_range', `fd ${fdIn}`);
  if (n >= 0) return n;
  const buf = (byHandBuf ??= Buffer.allocUnsafe(1 << 20));
  let r: number;
  try {
    r = readSync(fdIn, buf, 0, Math.min(len, buf.length), off);
  } catch (err) {
    return throwFsError(err, 'read', `fd ${fdIn}`);
  }
  try {
    for (let w = 0; w < r; ) w += writeSync(fdOut, buf, w, r - w, off + w);
  } catch (err) {
    return throwFsError(err, 'write', `fd ${fdOut}`);
  }
  return r;
}

/** Whether linkat(AT_EMPTY_PATH) is allowed here (else ENOENT; see linkFd). */
let emptyPathLinks = true;

/**
 * Give the unnamed file open as `fd` (O_TMPFILE without O_EXCL) the name `path`. By the fd itself
 * (AT_EMPTY_PATH, as the kernel overlay links its tmpfile's dentry) rather than through
 * /proc/self/fd, whose walk looks the fd up through procfs on every call. Without
 * CAP_DAC_READ_SEARCH the kernel refuses that with ENOENT (since 6.10 only for an fd opened with
 * other credentials); the /proc link is used from then on.
 */
export function linkFd(fd: number, path: string): void {
  const rest = heldRest(path);
  const dir = heldDir;
  if (emptyPathLinks && checkUnless(c.linkat(fd, '', dir, cPath(rest), AT_EMPTY_PATH) as number, NO_EMPTY_PATH, 'linkat', path) >= 0) return;
  check(c.linkat(AT_FDCWD, `/proc/self/fd/${fd}`, dir, cPath(rest), AT_SYMLINK_FOLLOW) as number, 'linkat', path);
  // The ENOENT was the refusal, not a missing dir on the way (which /proc would have met too).
  emptyPathLinks = false;
}

const FICLONE = 0x40049409;
/** What FICLONE answers where the two files cannot share their blocks: that is no failure. */
const NO_CLONE = new Set(['EOPNOTSUPP', 'ENOTTY', 'EXDEV', 'EINVAL', 'EBADF', 'ENOSYS', 'EPERM'].map(errnoNumber));

/**
 * Make `fdOut` share all of `fdIn`'s blocks (ioctl FICLONE: XFS, btrfs and others with reflinks,
 * both files on one filesystem), as the kernel's overlay first tries at copy-up
 * (vfs_clone_file_range): no data is read. False where the filesystem cannot (ext4, tmpfs, two
 * filesystems); another failure (EIO, ENOSPC) is thrown, naming `path`.
 */
export function cloneFile(fdIn: number, fdOut: number, path: string): boolean {
  if ((c.ioctl_int(fdOut, FICLONE, fdIn) as number) === 0) return true;
  const errno = lastErrno();
  if (NO_CLONE.has(errno)) return false;
  return throwErrno('ioctl FICLONE', path, { errno });
}

const POSIX_FADV_RANDOM = 1;

/**
 * Tell the kernel `fd` is read at random (posix_fadvise RANDOM): a read of pages the cache lacks
 * reads no more than it asks. Not all read-ahead stops: a read of a page another reader's
 * read-ahead marked still starts the next window (the kernel checks the file's ra_pages there,
 * which no advice sets to 0). Advice: a refusal changes nothing.
 */
export function adviseRandom(fd: number): void {
  c.posix_fadvise(fd, 0n, 0n, POSIX_FADV_RANDOM);
}
