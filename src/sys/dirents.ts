// Reading a directory without touching it: node:fs opens directories without O_NOATIME, so every
// listing of a lower dir would update its atime, which kernel overlayfs never does (spec S60).
// getdents64 on an O_NOATIME fd also hands back d_ino and d_type, saving an lstat per entry.
import { closeSync, constants, openSync } from 'node:fs';
import { check } from './call.js';
import { c } from './libc.js';

export type DirentType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'char' | 'block' | 'unknown';
export interface RawDirent {
  name: string;
  ino: bigint;
  type: DirentType;
}

const DT: Record<number, DirentType> = { 1: 'fifo', 2: 'char', 4: 'dir', 6: 'block', 8: 'file', 10: 'symlink', 12: 'socket' };
const BUF_SIZE = 64 * 1024;
// O_NOATIME is refused (EPERM) on files the caller does not own unless it has CAP_FOWNER.
const NOATIME_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOATIME;
const PLAIN_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY;

/** Open `path` as a directory, without updating its atime where the kernel lets us. */
export function openDirNoAtime(path: string): number {
  try {
    return openSync(path, NOATIME_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    return openSync(path, PLAIN_FLAGS);
  }
}

function parse(buf: Buffer, len: number, out: RawDirent[]): void {
  let off = 0;
  while (off < len) {
    const ino = buf.readBigUInt64LE(off);
    const reclen = buf.readUInt16LE(off + 16);
    const type = buf[off + 18]!;
    const nameStart = off + 19;
    const nameEnd = buf.indexOf(0, nameStart);
    const name = buf.toString('utf8', nameStart, nameEnd < 0 || nameEnd > off + reclen ? off + reclen : nameEnd);
    if (name !== '.' && name !== '..') out.push({ name, ino, type: DT[type] ?? 'unknown' });
    off += reclen;
  }
}

function readAll(fd: number, path: string): RawDirent[] {
  const out: RawDirent[] = [];
  const buf = Buffer.allocUnsafe(BUF_SIZE);
  for (;;) {
    const n = check(c.getdents64(fd, buf, BUF_SIZE) as number, 'getdents64', path);
    if (n === 0) return out;
    parse(buf, n, out);
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

const SEEK_SET = 0;

/**
 * Rewind a directory fd the caller holds open and read all its entries again: the "rewinddir +
 * readdir on the same open dir" that shows overlayfs's per-open-file merged-dir cache (spec S39).
 */
export function rereadDirents(fd: number, path = `fd ${fd}`): RawDirent[] {
  check(c.lseek(fd, 0, SEEK_SET) as number, 'lseek', path);
  return readAll(fd, path);
}
