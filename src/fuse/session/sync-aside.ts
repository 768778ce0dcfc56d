// fsync(2) for FSYNC and FSYNCDIR off the loop's thread. An fsync of a file with much unwritten
// data waits for the disk (a second and more for a large dirty file, for ever on a stalled one)
// and the loop serves one request at a time, so the whole mount waited with it: a stat of any
// other file, another client's listing. The kernel's overlay holds only the caller. So the loop
// hands such an fsync (the fd to sync and the request's unique) to the main thread, whose event
// loop is otherwise idle, and goes on; the fsync runs on libuv's threads (several at once), and
// its answer is written to /dev/fuse from here.
import { close, fdatasync, fsync, write } from 'node:fs';
import { errnoOf } from '../../errors.js';
import { unwrittenPages } from '../../sys/fd.js';
import { OUT_HEADER_SIZE, encodeOutHeader } from '../protocol/index.js';

/**
 * Unwritten pages (dirty or under writeback) from which an fsync is handed over: 1 MiB, about a
 * millisecond of this VM's disk. An fsync with less is mostly a journal commit and a cache flush
 * (~50 µs here), to which the hand-over would add ~150 µs (three thread wake-ups: measured 190–260
 * µs for an fsync with nothing to write, against 55); the loop runs it itself.
 */
export const ASIDE_PAGES = 256;

/** Whether an fsync of `fd` may wait long enough to hand over (when the kernel cannot say: yes). */
export function syncsLong(fd: number): boolean {
  const n = unwrittenPages(fd);
  return n < 0 || n >= ASIDE_PAGES;
}

/** One FSYNC or FSYNCDIR: the fd to sync (the job's own: closed when done) and the request to answer. */
export interface SyncJob {
  unique: number;
  fd: number;
  datasync: boolean;
}

export class SyncAside {
  private pending = 0;
  private idle: (() => void) | null = null;

  constructor(private devFd: number) {}

  /** Sync `job.fd`, close it, and answer request `job.unique` with the fsync's errno. */
  run(job: SyncJob): void {
    this.pending++;
    (job.datasync ? fdatasync : fsync)(job.fd, (err) => {
      close(job.fd, () => undefined);
      const reply = Buffer.alloc(OUT_HEADER_SIZE);
      encodeOutHeader(reply, OUT_HEADER_SIZE, err ? -errnoOf(err) : 0, job.unique);
      // Refused with ENOENT when the request was interrupted (its caller is gone), ENODEV once
      // unmounted: nothing is owed to anyone then.
      write(this.devFd, reply, () => {
        if (--this.pending === 0 && this.idle) this.idle();
      });
    });
  }

  /**
   * Call `fn` once no job is outstanding: the device fd must stay open until the last answer is
   * written (closed earlier, its number could be another file's by then).
   */
  whenIdle(fn: () => void): void {
    if (this.pending === 0) fn();
    else this.idle = fn;
  }
}
