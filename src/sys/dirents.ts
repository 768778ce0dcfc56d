// Reading directories and copying file data without touching the layer: node:fs opens without
// O_NOATIME, so a listing or a copy-up would update a lower's atime, which kernel overlayfs never
// does (spec S60: it opens layer files and dirs with O_NOATIME). getdents64 on an O_NOATIME fd
// also hands back d_ino and d_type, saving an lstat per entry.
import { closeSync, constants, fstatSync, ftruncateSync, readFileSync, readSync, writeSync } from 'node:fs';
import { openSync } from './fs-bytes.js';
import { errnoNumber } from '../errors.js';
import { startWriteback } from './fd.js';
import { NO_KERNEL_COPY } from './space.js';
import { USER_SETTABLE_FLAGS, flagsOrNull } from './fileattr.js';
import { check, checkUnless, throwFsError } from './call.js';
import { c } from './libc.js';
import { decodeName } from '../format/byte-names.js';

export type DirentType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';
export interface RawDirent {
  name: string;
  ino: bigint;
  type: DirentType;
}

const DT: Record<number, DirentType> = { 1: 'fifo', 2: 'char', 4: 'dir', 6: 'block', 8: 'file', 10: 'symlink', 12: 'socket' };
const BUF_SIZE = 64 * 1024;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;
/** copy_file_range cannot copy between these two files (other filesystems, or no support): copy by hand. */

/** open(2) through node:fs, failing as every src/sys call does: an OvlError with errno, op and path. */
function openOrThrow(path: string, flags: number, mode?: number): number {
  try {
    return openSync(path, flags, mode);
  } catch (err) {
    return throwFsError(err, 'open', path);
  }
}

/**
 * open(2) of `path` with `flags` and O_NOATIME where the kernel lets us: it refuses O_NOATIME
 * (EPERM) on a file the caller does not own unless it has CAP_FOWNER, and then `flags` alone.
 */
export function openNoAtime(path: string, flags: number): number {
  try {
    return openSync(path, flags | constants.O_NOATIME);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return throwFsError(err, 'open', path);
  }
  return openOrThrow(path, flags);
}

/** Open `path` as a directory, without updating its atime where the kernel lets us. */
export function openDirNoAtime(path: string): number {
  return openNoAtime(path, DIR_FLAGS);
}

/**
 * A whole file's bytes (or UTF-8 text), read without updating its atime where the kernel lets
 * us: for tools that promise to leave a tree as they found it (ovl-dedup analyze).
 */
export function readFileNoatime(path: string): Buffer;
export function readFileNoatime(path: string, encoding: 'utf8'): string;
export function readFileNoatime(path: string, encoding?: 'utf8'): Buffer | string {
  const fd = openNoAtime(path, constants.O_RDONLY);
  try {
    return encoding ? readFileSync(fd, encoding) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parse(buf: Buffer, len: number, out: RawDirent[], withDots = false): void {
  let off = 0;
  while (off < len) {
    const reclen = buf.readUInt16LE(off + 16);
    const name = nameAt(buf, off, reclen);
    if (withDots || (name !== '.' && name !== '..')) out.push({ name, ino: buf.readBigUInt64LE(off), type: DT[buf[off + 18]!] ?? 'unknown' });
    off += reclen;
  }
}

/** Names only: no inode BigInt and no object per entry (a lookup's lower index reads ~30k dirs on a 500-lower tree). */
function parseNames(buf: Buffer, len: number, out: string[]): void {
  for (let off = 0; off < len; ) {
    const reclen = buf.readUInt16LE(off + 16);
    const name = nameAt(buf, off, reclen);
    if (name !== '.' && name !== '..') out.push(name);
    off += reclen;
  }
}

/**
 * parseNames, and where `.` and `..` stood: each as [name, the number of names before it]
 * (the kernel's overlay lists them where the layer's getdents put them, ext4's hash order).
 */
function parseNamesDots(buf: Buffer, len: number, out: string[], dots: Array<[string, number]>): void {
  for (let off = 0; off < len; ) {
    const reclen = buf.readUInt16LE(off + 16);
    const name = nameAt(buf, off, reclen);
    if (name === '.' || name === '..') dots.push([name, out.length]);
    else out.push(name);
    off += reclen;
  }
}

function nameAt(buf: Buffer, off: number, reclen: number): string {
  const nameStart = off + 19;
  const nameEnd = buf.indexOf(0, nameStart);
  return decodeName(buf, nameStart, nameEnd < 0 || nameEnd > off + reclen ? off + reclen : nameEnd);
}

// One getdents64 buffer for every listing: each is parsed into strings before the next call, all
// synchronously, and a fresh 64 KiB per directory was most of what the lower index allocated.
const SHARED = Buffer.allocUnsafe(BUF_SIZE);

function readAll(fd: number, path: string, size = BUF_SIZE): RawDirent[] {
  const out: RawDirent[] = [];
  readEach(fd, path, size, (buf, n) => parse(buf, n, out));
  return out;
}

function readEach(fd: number, path: string, size: number, take: (buf: Buffer, n: number) => void): void {
  const buf = size === BUF_SIZE ? SHARED : Buffer.allocUnsafe(size);
  for (;;) {
    const n = check(c.getdents64(fd, buf, size) as number, 'getdents64', path);
    if (n === 0) return;
    take(buf, n);
  }
}

/** All entries of the directory `path` except '.' and '..', in on-disk order, without updating its atime. */
export function readDirents(path: string): RawDirent[] {
  const fd = openDirNoAtime(path);
  try {
    return readAll(fd, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * All entries of the directory `path` except '.' and '..', in getdents order, opened as any reader
 * would (its atime is updated): a listing as a program sees it, unlike node's readdirSync, which sorts.
 * `bufSize` is getdents64's buffer: a small one reads the listing in several calls.
 */
export function listDirents(path: string, bufSize = BUF_SIZE): RawDirent[] {
  const fd = openOrThrow(path, DIR_FLAGS);
  try {
    return readAll(fd, path, bufSize);
  } finally {
    closeSync(fd);
  }
}

/** Names in the directory `path` (without `.` and `..`), read without touching its atime. */
export function readdirNoatime(path: string): string[] {
  const fd = openDirNoAtime(path);
  const out: string[] = [];
  try {
    readEach(fd, path, BUF_SIZE, (buf, n) => parseNames(buf, n, out));
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * Names in the directory open as `fd` (named `path` in errors), read from where the fd stands (a
 * fresh fd: the start): the dedup scan lists every directory of a data root this way, with no
 * object and no inode BigInt per entry (rereadDirents' RawDirents were 121k of each on the bench root).
 */
export function readNamesAt(fd: number, path: string): string[] {
  const out: string[] = [];
  readEach(fd, path, BUF_SIZE, (buf, n) => parseNames(buf, n, out));
  return out;
}

/** Names of a directory in getdents order, and where `.` and `..` stood among them (parseNamesDots). */
export interface NamesAndDots {
  names: string[];
  dots: Array<[string, number]>;
}

/** readdirNoatime, with the places of `.` and `..`. */
export function readdirNoatimeDots(path: string): NamesAndDots {
  const fd = openDirNoAtime(path);
  const names: string[] = [];
  const dots: Array<[string, number]> = [];
  try {
    readEach(fd, path, BUF_SIZE, (buf, n) => parseNamesDots(buf, n, names, dots));
  } finally {
    closeSync(fd);
  }
  return { names, dots };
}

/** Every entry of the directory `path`, `.` and `..` included, in on-disk order, without updating its atime. */
export function readDirentsDots(path: string): RawDirent[] {
  const fd = openDirNoAtime(path);
  const out: RawDirent[] = [];
  try {
    readEach(fd, path, BUF_SIZE, (buf, n) => parse(buf, n, out, true));
  } finally {
    closeSync(fd);
  }
  return out;
}

/**
 * The d_ino getdents gives `..` in the directory `path` (not lstat of `path/..`, which crosses a
 * mount the dir is the root of), read without touching its atime; null if it lists no `..`.
 */
export function dotDotIno(path: string): bigint | null {
  return readDirentsDots(path).find((e) => e.name === '..')?.ino ?? null;
}

/**
 * The names in the directory `path` (as readdirNoatime, or as listDirents when `touchAtime`) with
 * the places of `.` and `..`, passed to `use` with the dir still open as `fd`, so that `use` can
 * reach each name through it.
 */
export function withDirNames<T>(path: string, touchAtime: boolean, use: (fd: number, listed: NamesAndDots) => T): T {
  const fd = touchAtime ? openOrThrow(path, DIR_FLAGS) : openDirNoAtime(path);
  try {
    const listed: NamesAndDots = { names: [], dots: [] };
    readEach(fd, path, BUF_SIZE, (buf, n) => parseNamesDots(buf, n, listed.names, listed.dots));
    return use(fd, listed);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copy the data of file `src` into a new file `dst` (O_EXCL, 0600), in the kernel, without touching
 * src's atime. With `size` (the length src had when stat'ed) the copy stops there, as the kernel's
 * overlay copy-up does, which spares the call that would only answer end-of-file. Only src's data
 * extents are copied (SEEK_DATA/SEEK_HOLE) and dst is sized after: holes stay holes, also between
 * filesystems, where copy_file_range (or read/write) would write them out as zeros (a review: a
 * 1 GiB file holding 8 KiB of data took 1 GiB on the target). Returns src's user-settable inode
 * flags (chattr's, 0 where its filesystem keeps none), read on the fd the copy opened anyway.
 */
export function copyFileNoatime(src: string, dst: string, size?: number): number {
  const fdIn = openOrThrow(src, constants.O_RDONLY | constants.O_NOATIME);
  try {
    const fdOut = openOrThrow(dst, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      const st = fstatSync(fdIn);
      const end = size ?? st.size;
      // Only a file with fewer blocks than bytes has holes to keep (as the FUSE copy-up tells).
      if (end !== 0 && st.blocks * 512 < end) copyExtents(fdIn, fdOut, src, end, dst);
      else if (end !== 0) copyFdData(fdIn, fdOut, src, end, dst);
    } finally {
      closeSync(fdOut);
    }
    return (flagsOrNull(fdIn, src) ?? 0) & USER_SETTABLE_FLAGS;
  } finally {
    closeSync(fdIn);
  }
}

const SEEK_DATA = 3;
const SEEK_HOLE = 4;
/** SEEK_DATA past the last data (ENXIO), or a filesystem without SEEK_DATA (EINVAL). */
const NO_MORE_DATA = errnoNumber('ENXIO');
const NO_SEEK_DATA = errnoNumber('EINVAL');

/** Both fds' positions to `pos` (copyFdData copies from and to the positions). */
function seekBoth(fdIn: number, fdOut: number, pos: number, src: string, dst: string): void {
  check(c.lseek(fdIn, pos, SEEK_SET) as number, 'lseek', src);
  check(c.lseek(fdOut, pos, SEEK_SET) as number, 'lseek', dst);
}

/** The first `size` bytes of `fdIn` into the empty `fdOut`, data extent by data extent, then ftruncate to `size`. */
function copyExtents(fdIn: number, fdOut: number, src: string, size: number, dst: string): void {
  for (let pos = 0; pos < size; ) {
    const data = checkUnless(c.lseek(fdIn, pos, SEEK_DATA) as number, [NO_MORE_DATA, NO_SEEK_DATA], 'lseek SEEK_DATA', src);
    if (data === -NO_SEEK_DATA) {
      seekBoth(fdIn, fdOut, 0, src, dst);
      copyFdData(fdIn, fdOut, src, size, dst);
      break;
    }
    if (data < 0 || data >= size) break;
    const hole = Math.min(size, check(c.lseek(fdIn, data, SEEK_HOLE) as number, 'lseek SEEK_HOLE', src));
    seekBoth(fdIn, fdOut, data, src, dst);
    copyFdData(fdIn, fdOut, src, hole - data, dst);
    pos = hole;
  }
  try {
    ftruncateSync(fdOut, size);
  } catch (err) {
    throwFsError(err, 'ftruncate', dst);
  }
}

/** How copyFdData goes about a copy. */
export interface CopyOptions {
  /**
   * For a copy an fsync will follow (bytes): the copy goes in chunks of that size, and each
   * chunk's writeback starts as soon as it is copied, so the fsync waits only for the last.
   */
  writebackEvery?: number;
  /** Runs after each chunk (at most BETWEEN_EVERY bytes apart); what it throws ends the copy. */
  between?: () => void;
  /**
   * Runs before each chunk is copied, with where the chunk starts (bytes from where the copy
   * began) and its length; what it throws ends the copy.
   */
  before?: (offset: number, size: number) => void;
}

/**
 * Copy what is left of `fdIn` (named `src` in errors) to `fdOut` (named `dst`), in the kernel where
 * both are on one filesystem; with `size`, stop once that many bytes are copied.
 */
export function copyFdData(fdIn: number, fdOut: number, src: string, size = Infinity, dst = `fd ${fdOut}`, o: CopyOptions = {}): void {
  const { writebackEvery = 0, between, before } = o;
  const chunk = writebackEvery > 0 ? writebackEvery : between ? BETWEEN_EVERY : 1 << 30;
  for (let done = 0; ; ) {
    // No further than `size`: data past it is not the copy's, and `before` was told of this much.
    const len = Math.min(chunk, size - done);
    before?.(done, len);
    const n = checkUnless(c.copy_file_range(fdIn, null, fdOut, null, len, 0) as number, NO_KERNEL_COPY, 'copy_file_range', src);
    if (n === 0) return;
    if (n > 0) {
      done += n;
      if (done >= size) return;
      if (writebackEvery > 0) startWriteback(fdOut, done - n, n);
      between?.();
      continue;
    }
    // Layers on different filesystems (EXDEV) or an fs without the call: copy through userspace.
    return copyByHand(fdIn, fdOut, src, dst, size, o);
  }
}

/** Bytes copied between two calls of copyFdData's `between` at most (~10 ms of copying here). */
const BETWEEN_EVERY = 16 << 20;

function copyByHand(fdIn: number, fdOut: number, src: string, dst: string, size: number, { between, before }: CopyOptions): void {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let done = 0; done < size; ) {
    const len = Math.min(buf.length, size - done);
    before?.(done, len);
    let r: number;
    try {
      r = readSync(fdIn, buf, 0, len, null);
    } catch (err) {
      return throwFsError(err, 'read', src);
    }
    if (r === 0) return;
    try {
      for (let w = 0; w < r; ) w += writeSync(fdOut, buf, w, r - w);
    } catch (err) {
      return throwFsError(err, 'write', dst);
    }
    if ((done += r) % BETWEEN_EVERY < r) between?.();
  }
}

const SEEK_SET = 0;

/**
 * One getdents64 call of `bufSize` bytes on the open dir `fd`, '.' and '..' included; [] at its
 * end. Readers of one dir taking turns call by call show how their positions interleave.
 */
export function getdentsOnce(fd: number, bufSize: number, path = `fd ${fd}`): RawDirent[] {
  const out: RawDirent[] = [];
  const buf = Buffer.allocUnsafe(bufSize);
  parse(buf, check(c.getdents64(fd, buf, bufSize) as number, 'getdents64', path), out, true);
  return out;
}

/**
 * Rewind a directory fd the caller holds open and read all its entries again: the "rewinddir +
 * readdir on the same open dir" that shows overlayfs's per-open-file merged-dir cache (spec S39).
 */
export function rereadDirents(fd: number, path = `fd ${fd}`): RawDirent[] {
  check(c.lseek(fd, 0, SEEK_SET) as number, 'lseek', path);
  return readAll(fd, path);
}
