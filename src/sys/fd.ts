// open(2), fsync(2) and close(2) of plain files through libc, for the copy-up path: node's
// openSync/fsyncSync/closeSync validate their arguments in JS and check a trace-event category
// per call, which a fresh daemon runs interpreted on every copy-up (docs/fuse.md, seventh pass).
// The fds are ordinary ones: node:fs may use and close them, and these may close node's. And
// what an fsync handed to another thread needs (session/blocking-threads.ts): a dup of the fd and a
// doorbell for its end.
import { readSync } from 'node:fs';
import { check } from './call.js';
import { O_CLOEXEC, O_PATH, c } from './libc.js';
import { cPath } from '../format/byte-names.js';
import { heldDir, heldRest } from './held-path.js';

/** openat(2) of `path` with `flags` (O_CLOEXEC added, as node's openSync adds it); no O_CREAT. */
export function openFile(path: string, flags: number): number {
  const rest = heldRest(path);
  return check(c.openat(heldDir, cPath(rest), flags | O_CLOEXEC, 0) as number, 'open', path);
}

/** An O_PATH fd of `path` (to fstat the object later, wherever its name goes); a symlink itself is not followed through. */
export function openPathFd(path: string): number {
  return openFile(path, O_PATH);
}

/** fsync(2) of `fd`; `path` names it in errors. */
export function fsyncFd(fd: number, path?: string): void {
  check(c.fsync(fd) as number, 'fsync', path);
}

const SYNC_FILE_RANGE_WRITE = 2;

/**
 * Start writeback of `length` bytes of `fd` from `offset` without waiting for it
 * (sync_file_range(SYNC_FILE_RANGE_WRITE)). A hint for a copy that an fsync will follow: the disk
 * writes one chunk while the next is copied. Its errors are ignored: the fsync after it meets and
 * reports any I/O error, and a filesystem that refuses the call loses only the overlap.
 */
export function startWriteback(fd: number, offset: number, length: number): void {
  c.sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

const F_DUPFD_CLOEXEC = 1030;

/** A new fd (close-on-exec) for the open file of `fd`: its own to close, whenever `fd` is closed. */
export function dupFd(fd: number): number {
  return check(c.fcntl(fd, F_DUPFD_CLOEXEC, 'int', 0) as number, 'fcntl', `fd ${fd}`);
}

/** fdatasync(2) of `fd`; `path` names it in errors. */
export function fdatasyncFd(fd: number, path?: string): void {
  check(c.fdatasync(fd) as number, 'fdatasync', path);
}

const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

/**
 * A new eventfd (non-blocking, close-on-exec): a doorbell another thread rings by writing a
 * count (8 bytes) that a poll on it then sees; read it with readEventFd.
 */
export function eventFd(): number {
  return check(c.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) as number, 'eventfd');
}

const EVENT = Buffer.alloc(8);

/** The count written to eventfd `fd` since the last read (and reset it), 0 when none. */
export function readEventFd(fd: number): number {
  try {
    readSync(fd, EVENT, 0, 8, null);
  } catch (err) {
    if ((err as { code?: string }).code === 'EAGAIN') return 0;
    throw err;
  }
  return Number(EVENT.readBigUInt64LE(0));
}

/** close(2) of `fd`. */
export function closeFd(fd: number): void {
  check(c.close(fd) as number, 'close');
}
