// fsync(2) for FSYNC, FSYNCDIR and a large copy-up's own fsync, off the loop's thread. An fsync
// waits for the disk: for the file's unwritten data, and for a journal commit and a cache flush
// even when it has none (on ext4 a commit also waits for other files' data), so on a slow or
// stalled disk for seconds or for ever. The loop serves one request at a time, so the whole mount
// waited with it: a stat of any other file, another client's listing. The kernel's overlay holds
// only the caller. So every fsync goes into a queue here, from which sync threads take it: each
// syncs, closes the fd it was given and answers the request itself (or rings the copy-up's
// doorbell), while the loop goes on.
//
// Threads of their own, not libuv's pool: that pool has four threads, and the main thread writes
// the kernel notifications through it; four fsyncs stuck on a stalled disk stopped every
// invalidation, and the mount answered from stale caches (a review, 2026-12-06). A thread waits on
// the queue with Atomics.wait and is woken by one futex wake: the hand-over to the main thread's
// event loop cost three wake-ups. A thread takes ~20 ms to start: the first starts at the first
// fsync, which waits for it (a mount that never syncs starts none: started at the first write
// open instead, it cost the bench's 200 copy-ups, which fsync in the core, 13 % of the daemon's
// CPU); another whenever more jobs wait than threads are waiting or starting, up to MAX_THREADS.
// Past that, jobs wait in the queue (eight fsyncs stuck on the disk hold only their callers and
// the ones queued behind them: all on the upper's disk); the loop syncs itself only when the
// queue is full (256) or no thread can start.
import { Worker } from 'node:worker_threads';
import { closeFd, dupFd } from '../../sys/fd.js';

/** One fsync: the fd to sync (the job's own: the thread closes it), and where its end goes. */
export interface SyncJob {
  fd: number;
  datasync: boolean;
  /** The FSYNC or FSYNCDIR to answer with the fsync's errno; ignored with `wake`. */
  unique: number;
  /** An eventfd to write the fsync's errno + 1 to instead (DevSession.syncServing). */
  wake?: number;
}

export const MAX_THREADS = 8;
/** Jobs the queue holds (a power of two: slots are indexed by the counters' low bits). */
export const QUEUE = 256;
/**
 * A thread not running this long after it was started never will (its start failed where only its
 * parent's event loop, which never runs here, would hear of it): it no longer counts as starting.
 */
const START_MS = 5000;
/** Threads started over a session at most, those that never ran included. */
const MAX_SPAWNS = 64;

// Int32 slots of the shared state: the queue's counters (next job to take, next slot to fill:
// they wrap at 2^32 together), the threads waiting for a job, the order to end, and the word the
// threads sleep on (bumped by every job and by the order to end, so that neither is missed between
// a thread's look at the queue and its sleep); then one flag per thread, set once it runs.
const HEAD = 0;
const TAIL = 1;
const WAITING = 2;
const QUIT = 3;
const SIGNAL = 4;
const ALIVE = 8;
const JOBS = ALIVE + MAX_SPAWNS;
// A job's slots, from JOBS + (index & (QUEUE - 1)) * JOB.
const JOB = 8;
const STATE = 0;
const FD = 1;
const DATASYNC = 2;
const WAKE = 3;
const UNIQUE_LO = 4;
const UNIQUE_HI = 5;
const FREE = 0;
const FULL = 1;

// CommonJS, evaluated in the thread: nothing to resolve or bundle. Once running it cannot fail but
// for the fsync, the close and the write, each caught: an uncaught error would end the thread, and
// the loop, whose event loop never runs, would not hear of it (a thread that fails before it runs
// is found by its ALIVE flag: SyncThreads.starting).
const THREAD = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const q = new Int32Array(workerData.sab);
const reply = Buffer.alloc(16);
const count = Buffer.alloc(8);
Atomics.store(q, ${ALIVE} + workerData.index, 1);
for (;;) {
  const signal = Atomics.load(q, ${SIGNAL});
  if (Atomics.load(q, ${QUIT}) !== 0) break;
  const head = Atomics.load(q, ${HEAD});
  if (head === Atomics.load(q, ${TAIL})) {
    Atomics.add(q, ${WAITING}, 1);
    Atomics.wait(q, ${SIGNAL}, signal);
    Atomics.sub(q, ${WAITING}, 1);
    continue;
  }
  if (Atomics.compareExchange(q, ${HEAD}, head, (head + 1) | 0) !== head) continue;
  const o = ${JOBS} + (head & ${QUEUE - 1}) * ${JOB};
  const fd = q[o + ${FD}], datasync = q[o + ${DATASYNC}], wake = q[o + ${WAKE}];
  const lo = q[o + ${UNIQUE_LO}] >>> 0, hi = q[o + ${UNIQUE_HI}] >>> 0;
  Atomics.store(q, o + ${STATE}, ${FREE});
  let errno = 0;
  try {
    if (datasync) fs.fdatasyncSync(fd);
    else fs.fsyncSync(fd);
  } catch (err) {
    errno = Math.abs(err.errno) || 5;
  }
  try { fs.closeSync(fd); } catch {}
  try {
    if (wake >= 0) {
      count.writeBigUInt64LE(BigInt(errno + 1));
      fs.writeSync(wake, count);
    } else {
      reply.writeUInt32LE(16, 0);
      reply.writeInt32LE(-errno, 4);
      reply.writeUInt32LE(lo, 8);
      reply.writeUInt32LE(hi, 12);
      fs.writeSync(workerData.devFd, reply);
    }
  } catch {
    // The answer is owed to no one now: ENODEV (unmounted or aborted), ENOENT (the request is gone).
  }
}
try { fs.closeSync(workerData.devFd); } catch {}
`;

/** The queue and its threads. Jobs are given by one thread only: the loop's. */
export class SyncThreads {
  private readonly sab = new SharedArrayBuffer((JOBS + QUEUE * JOB) * 4);
  private readonly q = new Int32Array(this.sab);
  private tail = 0;
  /** When each thread was started (ms), by index. */
  private readonly startedAt: number[] = [];

  constructor(private devFd: number) {}

  /** Start the first thread, if none is: an fsync will come, and should not wait for its start. */
  prepare(): void {
    if (this.startedAt.length === 0) this.start();
  }

  /**
   * Queue `job` for a thread, which answers it (starting one if more jobs wait than threads do).
   * False when it cannot be (the caller syncs itself, and still owns the fd): the queue is full,
   * or no thread runs and none could be started.
   */
  run(job: SyncJob): boolean {
    const q = this.q;
    const t = this.tail;
    const o = JOBS + (t & (QUEUE - 1)) * JOB;
    if (Atomics.load(q, o + STATE) !== FREE) return false;
    if (this.live() + this.starting() === 0 && !this.start()) return false;
    q[o + FD] = job.fd;
    q[o + DATASYNC] = job.datasync ? 1 : 0;
    q[o + WAKE] = job.wake ?? -1;
    q[o + UNIQUE_LO] = job.unique % 2 ** 32;
    q[o + UNIQUE_HI] = Math.floor(job.unique / 2 ** 32);
    Atomics.store(q, o + STATE, FULL);
    this.tail = (t + 1) | 0;
    Atomics.store(q, TAIL, this.tail);
    Atomics.add(q, SIGNAL, 1);
    Atomics.notify(q, SIGNAL, 1);
    this.tend();
    return true;
  }

  /**
   * One more thread if more jobs wait than threads are waiting or starting, up to MAX_THREADS (a
   * thread just woken may not have taken its job yet, which can start one more than needed). Also
   * called while a copy-up waits for its fsync, so that a thread that never ran is replaced.
   */
  tend(): void {
    const q = this.q;
    const queued = (this.tail - Atomics.load(q, HEAD)) | 0;
    if (queued === 0) return;
    const starting = this.starting();
    if (queued > Atomics.load(q, WAITING) + starting && this.live() + starting < MAX_THREADS) this.start();
  }

  /**
   * The session is over: each thread ends once its fsync (if any) has, closing its dup of the
   * device; the fds of jobs no thread took are closed here.
   */
  close(): void {
    const q = this.q;
    Atomics.store(q, QUIT, 1);
    Atomics.add(q, SIGNAL, 1);
    Atomics.notify(q, SIGNAL);
    for (let h = Atomics.load(q, HEAD); h !== this.tail; h = Atomics.load(q, HEAD)) {
      if (Atomics.compareExchange(q, HEAD, h, (h + 1) | 0) !== h) continue;
      const o = JOBS + (h & (QUEUE - 1)) * JOB;
      // The job's own fd, which only its thread would have closed (a failure to close it must not
      // keep the session's end from the rest).
      try {
        closeFd(q[o + FD]!);
      } catch {
        // EBADF or EIO: nothing more to do for it
      }
      Atomics.store(q, o + STATE, FREE);
    }
  }

  /** Threads that run (they end only at close). */
  private live(): number {
    let n = 0;
    for (let i = 0; i < this.startedAt.length; i++) n += Atomics.load(this.q, ALIVE + i);
    return n;
  }

  /** Threads started less than START_MS ago that do not run yet. */
  private starting(): number {
    let n = 0;
    const now = Date.now();
    for (let i = 0; i < this.startedAt.length; i++) {
      if (Atomics.load(this.q, ALIVE + i) === 0 && now - this.startedAt[i]! < START_MS) n++;
    }
    return n;
  }

  /** Start a thread; false if it cannot be (no fd or thread to be had: the caller syncs itself). */
  private start(): boolean {
    const index = this.startedAt.length;
    if (index === MAX_SPAWNS) return false;
    // Its own dup of /dev/fuse: the session's may be closed once the loop ends while this thread
    // still waits on the disk, and its number could by then be another file's.
    let devFd = -1;
    try {
      devFd = dupFd(this.devFd);
      // Unreferenced: not what keeps the process alive (though one stuck in fsync holds up the
      // session worker's exit, as it would hold the process's, until the fsync ends).
      new Worker(THREAD, { eval: true, workerData: { sab: this.sab, index, devFd }, trackUnmanagedFds: false }).unref();
    } catch {
      if (devFd >= 0) closeFd(devFd);
      return false;
    }
    this.startedAt.push(Date.now());
    return true;
  }
}
