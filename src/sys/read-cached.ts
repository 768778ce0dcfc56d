// A read of a file's data that takes only what the page cache holds: preadv2(RWF_NOWAIT). The
// FUSE loop serves one request at a time, and a READ of data the page cache lacks waits for the
// disk, holding every other request of the mount meanwhile (on a stalled disk, for ever). With
// this the loop serves the READ itself when the data is in memory, as it nearly always is for a
// file read again, and hands it to a thread otherwise (../fuse/session/blocking-threads.ts). A
// refusal costs nothing more: the kernel starts reading the missing pages ahead before it
// answers EAGAIN, so the thread that reads them next finds the disk already at work.
//
// A FUSE READ answered short is the end of the file to the kernel's client, which then takes the
// file for that long (fuse_short_read sets i_size) until its attributes are asked again. read(2)
// is also short when an error meets it after some data (a disk that fails mid-file): answered as
// it came, a reader saw the file end there, with exit status 0 (found by test/fuse/read-aside).
// So a read that stops short on a page boundary is asked once more, and only an answer of 0 is
// the end; a short read that stops inside a page stopped at the file's size (the page cache
// copies whole pages, and an error strikes at a page), and needs no second look.
import { readSync } from 'node:fs';
import { errnoNumber } from '../errors.js';
import { throwErrno } from './call.js';
import { addressOf, c, lastErrno } from './libc.js';

/** Some of the data is not in the page cache (EAGAIN): read it where waiting costs no one else. */
export const NOT_CACHED = -1;
/** The file's filesystem cannot read without waiting (EOPNOTSUPP: tmpfs, procfs, an overlay): read it as usual. */
export const NOWAIT_REFUSED = -2;

const RWF_NOWAIT = 8;
/** Every page (and large folio) boundary is on one: 4 KiB, or a multiple of it. */
export const PAGE = 4096;
const EAGAIN = errnoNumber('EAGAIN');
const EOPNOTSUPP = errnoNumber('EOPNOTSUPP');
const EBADF = errnoNumber('EBADF');
const EINVAL = errnoNumber('EINVAL');

// One iovec, rebuilt only when the buffer changes (each loop reads into the same buffer).
const iov = Buffer.alloc(16);
let iovBuf: Buffer | null = null;
let iovBase = 0;

/**
 * Read `size` bytes of `fd` at `offset` into `buf` from `at` on, from the page cache only: the
 * count read (short only at the end of the file), NOT_CACHED or NOWAIT_REFUSED. Another error
 * (EIO, EISDIR…) is thrown, as a read would throw it. A page missing after some that were there
 * is NOT_CACHED too (see the header), so the whole request goes to whoever reads it next.
 */
export function readCached(fd: number, buf: Buffer, at: number, size: number, offset: number): number {
  if (buf !== iovBuf) {
    iovBuf = buf;
    // A user-space address: below 2^47, exact as a number.
    iovBase = Number(addressOf(buf));
  }
  let got = 0;
  while (got < size) {
    const base = iovBase + at + got;
    iov.writeUInt32LE(base % 2 ** 32, 0);
    iov.writeUInt32LE(Math.floor(base / 2 ** 32), 4);
    iov.writeUInt32LE(size - got, 8);
    const n = c.preadv2(fd, iov, 1, offset + got, RWF_NOWAIT) as number;
    if (n > 0) {
      got += n;
      if ((offset + got) % PAGE !== 0) return got;
      continue;
    }
    if (n === 0) return got;
    const errno = lastErrno();
    if (errno === EAGAIN) return NOT_CACHED;
    if (errno === EOPNOTSUPP) return NOWAIT_REFUSED;
    return throwErrno('read', undefined, { errno });
  }
  return got;
}

/**
 * read(2) of `size` bytes of `fd` at `offset` into `buf` from `at` on, waiting for the disk: the
 * count read, short only at the end of the file; an error after some data is thrown (see the
 * header). An offset from 2^53 on is read once, as it comes (readSync takes it as a bigint).
 */
export function readToEnd(fd: number, buf: Buffer, at: number, size: number, offset: number | bigint): number {
  if (typeof offset === 'bigint') return readSync(fd, buf, at, size, offset);
  let got = 0;
  for (;;) {
    const n = readSync(fd, buf, at + got, size - got, offset + got);
    got += n;
    if (n === 0 || got === size || (offset + got) % PAGE !== 0) return got;
  }
}

/** cachestat(2)'s number: one table for every architecture since 5.x (x86_64 and arm64 alike). */
const SYS_CACHESTAT = 451;
// struct cachestat_range { u64 off, len } and struct cachestat { u64 nr_cache, nr_dirty,
// nr_writeback, nr_evicted, nr_recently_evicted }, reused by every call.
const range = Buffer.alloc(16);
const stat = Buffer.alloc(40);
/**
 * False once cachestat has failed for a reason of its own (ENOSYS before 6.5, EPERM from a
 * seccomp filter): every range then "cannot tell", without a failing call each time.
 */
let haveCachestat = true;

/**
 * Whether the page cache holds every page of `fd` in [offset, end) (`end` no further than the
 * file's size: there are no pages past it), asked of cachestat(2), which counts pages without
 * reading any: ~1 µs for 256 KiB here. False when some are missing, and when it cannot tell: a
 * kernel before 6.5, or a file whose data is not in its own page cache (a kernel overlay's file
 * counts none: its pages are its real file's). A copy-up asks before each chunk of its lower's
 * data (../fuse/session/copy-reads.ts): copy_file_range of pages the cache lacks waits for the
 * disk, and the loop with it. A page still being read in (read-ahead in flight) counts as there,
 * and a copy of it waits too: the copy-up also reads a page in each 128 KiB without waiting, which
 * refuses such a page, and once a chunk was missing trusts only what its read thread has finished
 * reading. A page evicted between the answer and the copy costs that one wait, no more.
 */
export function rangeCached(fd: number, offset: number, end: number): boolean {
  if (end <= offset) return true;
  if (!haveCachestat) return false;
  range.writeBigUInt64LE(BigInt(offset), 0);
  range.writeBigUInt64LE(BigInt(end - offset), 8);
  if ((c.syscall_cachestat(SYS_CACHESTAT, fd, range, stat, 0) as number) < 0) {
    // EBADF or EINVAL would be this call's own; anything else is the call's absence.
    const errno = lastErrno();
    if (errno !== EBADF && errno !== EINVAL) haveCachestat = false;
    return false;
  }
  const pages = Math.ceil(end / PAGE) - Math.floor(offset / PAGE);
  return Number(stat.readBigUInt64LE(0)) >= pages;
}

/** Whether rangeCached can answer here (cachestat has not failed for want of the call). */
export function canAskCache(): boolean {
  return haveCachestat;
}
