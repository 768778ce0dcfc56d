// The calls that wait for a disk, off the loop's thread: fsync(2) for FSYNC, FSYNCDIR and a large
// copy-up's own fsync, and the read(2) of a READ whose data the page cache lacks, or of a
// copy-up's chunk of its lower that the page cache lacks (read in for the copy). Each waits for
// the disk: an fsync for the file's unwritten data, and for a journal commit and a cache flush
// even when it has none (on ext4 a commit also waits for other files' data); a read for the pages
// it asks; on a slow or stalled disk for seconds or for ever. The loop serves one request at a
// time, so the whole mount waited with it: a stat of any other file, another client's listing.
// The kernel's overlay holds only the caller. So each such call goes into a queue here, from which
// threads take it: each makes the call, closes the fd it was given and answers the request itself
// (or rings the copy-up's doorbell), while the loop goes on. A session has a queue for fsyncs and
// one for the reads of each layer filesystem, each with its own threads: fsyncs wait on the
// upper's disk, reads on their layer's, and none should wait behind another's stalled disk.
//
// Threads of their own, not libuv's pool: that pool has four threads, and the main thread writes
// the kernel notifications through it; four fsyncs stuck on a stalled disk stopped every
// invalidation, and the mount answered from stale caches (a review, 2026-12-06). A thread waits on
// the queue with Atomics.wait and is woken by one futex wake: the hand-over to the main thread's
// event loop cost three wake-ups. A thread takes ~20 ms to start: the first starts at the first
// job, which waits for it (a mount that never syncs starts none: started at the first write
// open instead, it cost the bench's 200 copy-ups, which fsync in the core, 13 % of the daemon's
// CPU; a first cold READ read by the loop meanwhile held the mount on a stalled disk: a review);
// another whenever more jobs wait than threads are waiting or starting (for reads, once the
// oldest has waited a while: `patience`), up to MAX_THREADS, and for read queues, one per layer
// filesystem, up to a budget they share (ThreadBudget).
// Past that, jobs wait in the queue (eight fsyncs stuck on the disk hold only their callers and
// the ones queued behind them: all on the upper's disk); the loop makes the call itself only when
// the queue is full (256) or no thread can start.
import { Worker } from 'node:worker_threads';
import { closeFd, dupFd } from '../../sys/fd.js';
import { PAGE } from '../../sys/read-cached.js';

/** One fsync: the fd to sync (the job's own: the thread closes it), and where its end goes. */
export interface SyncJob {
  fd: number;
  datasync: boolean;
  /** The FSYNC or FSYNCDIR to answer with the fsync's errno; ignored with `wake`. */
  unique: number;
  /** An eventfd to write the fsync's errno + 1 to instead (DevSession.syncServing). */
  wake?: number;
}

/**
 * One READ: `size` bytes of `fd` (the job's own) at `offset`, answered with the data or the read's
 * errno; with `wake`, only read into the page cache (a window of a copy-up's lower data,
 * copy-reads.ts), and the read's errno + 1 written to that eventfd.
 */
export interface ReadJob {
  read: true;
  fd: number;
  /** Below 2^53 (a larger one is read by the loop). */
  offset: number;
  size: number;
  /** The READ to answer; ignored with `wake`. */
  unique: number;
  wake?: number;
}

export type Job = SyncJob | ReadJob;

/**
 * Threads several queues may start between them, at most: each thread costs ~9 MB, and a mount
 * with a read queue for each of 24 lower filesystems ran 32 threads, 268 MB, where one queue
 * had run 8 (a review, 2026-12-06).
 */
export interface ThreadBudget {
  left: number;
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
/**
 * After a start that failed at once (no thread or fd to be had: a pids limit, a full fd table),
 * none is tried for this long (ms): a loop that tended on every pass retried new Worker on each,
 * at 100 % CPU, leaking ~15 KB a try (a review, 2026-12-06).
 */
const RETRY_MS = 1000;

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
// A job's slots, from JOBS + (index & (QUEUE - 1)) * JOB. KIND: 0 fsync, 1 fdatasync, 2 read.
const JOB = 12;
const STATE = 0;
const FD = 1;
const KIND = 2;
const WAKE = 3;
const UNIQUE_LO = 4;
const UNIQUE_HI = 5;
const OFFSET_LO = 6;
const OFFSET_HI = 7;
const SIZE = 8;
const FSYNC = 0;
const FDATASYNC = 1;
const READ = 2;
/** A read into the page cache alone (a copy-up's window of 8 MiB or more) goes in steps this size. */
const WARM_STEP = 1 << 20;
const FREE = 0;
const FULL = 1;

// CommonJS, evaluated in the thread: nothing to resolve or bundle. Once running it cannot fail but
// for the call, the close and the write, each caught: an uncaught error would end the thread, and
// the loop, whose event loop never runs, would not hear of it (a thread that fails before it runs
// is found by its ALIVE flag: BlockingThreads.starting). A read's answer is one write of the
// header and the data (the device takes a reply in one write), from a buffer grown to the largest
// read asked (max_write, 1 MiB: the kernel's READs are no larger); a read short on a page boundary
// is asked again, as readToEnd does (src/sys/read-cached.ts says why), and an error then is the
// answer.
const THREAD = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const q = new Int32Array(workerData.sab);
let reply = Buffer.alloc(16);
let scratch = null;
const count = Buffer.alloc(8);
// Warm the read's path before taking jobs: a fresh thread's first jobs ran node's fs code cold,
// and the first cold file a mount read cost 15-30 % more daemon CPU than the next (2026-12-06).
try {
  const zero = fs.openSync('/dev/zero', 'r'), nul = fs.openSync('/dev/null', 'w');
  const b = Buffer.alloc(4096);
  for (let i = 0; i < 200; i++) {
    fs.readSync(zero, b, 16, 4000, i * 4096);
    fs.writeSync(nul, b, 0, 4016);
  }
  fs.closeSync(zero);
  fs.closeSync(nul);
} catch {}
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
  const fd = q[o + ${FD}], kind = q[o + ${KIND}], wake = q[o + ${WAKE}];
  const lo = q[o + ${UNIQUE_LO}] >>> 0, hi = q[o + ${UNIQUE_HI}] >>> 0;
  const offset = (q[o + ${OFFSET_HI}] >>> 0) * 2 ** 32 + (q[o + ${OFFSET_LO}] >>> 0), size = q[o + ${SIZE}];
  Atomics.store(q, o + ${STATE}, ${FREE});
  let errno = 0, n = 0;
  try {
    if (kind === ${READ} && wake >= 0) {
      // Into the page cache only (a copy-up copies from there): in steps of one scratch buffer.
      scratch ??= Buffer.alloc(${WARM_STEP});
      for (let k = 1; k !== 0 && n < size; n += k) k = fs.readSync(fd, scratch, 0, Math.min(${WARM_STEP}, size - n), offset + n);
    } else if (kind === ${READ}) {
      if (reply.length < 16 + size) reply = Buffer.alloc(16 + size);
      for (;;) {
        const k = fs.readSync(fd, reply, 16 + n, size - n, offset + n);
        n += k;
        if (k === 0 || n === size || (offset + n) % ${PAGE} !== 0) break;
      }
    } else if (kind === ${FDATASYNC}) fs.fdatasyncSync(fd);
    else fs.fsyncSync(fd);
  } catch (err) {
    errno = Math.abs(err.errno) || 5;
    n = 0;
  }
  try { fs.closeSync(fd); } catch {}
  try {
    if (wake >= 0) {
      count.writeBigUInt64LE(BigInt(errno + 1));
      fs.writeSync(wake, count);
    } else {
      reply.writeUInt32LE(16 + n, 0);
      reply.writeInt32LE(-errno, 4);
      reply.writeUInt32LE(lo, 8);
      reply.writeUInt32LE(hi, 12);
      fs.writeSync(workerData.devFd, reply, 0, 16 + n);
    }
  } catch {
    // The answer is owed to no one now: ENODEV (unmounted or aborted), ENOENT (the request is gone).
  }
}
try { fs.closeSync(workerData.devFd); } catch {}
`;

/** A queue and its threads. Jobs are given by one thread only: the loop's. */
export class BlockingThreads {
  private readonly sab = new SharedArrayBuffer((JOBS + QUEUE * JOB) * 4);
  private readonly q = new Int32Array(this.sab);
  private tail = 0;
  /** When each thread was started (ms, performance.now: a wall clock's jump must not age them), by index. */
  private readonly startedAt: number[] = [];

  /** Starts that failed at once, and when the next may be tried (performance.now): RETRY_MS. */
  private failedStarts = 0;
  private noStartBefore = 0;
  /** When each queued job was queued (ms, performance.now), by slot: see `patience`. */
  private readonly queuedAt = new Float64Array(QUEUE);

  constructor(
    private devFd: number,
    /**
     * How long (ms) the oldest queued job waits for a busy thread before another is started. 0
     * for fsyncs, each of which may wait on the disk for long. Reads mostly wait for a read ahead
     * already under way: a sequential read of a cold file hands over a READ now and then (its
     * pages still in flight), and each found the one thread busy with the one before; starting
     * another each time cost the first cold read of a mount 2× the daemon's CPU (~20 ms of CPU per
     * thread's start: 620–740 µs per MiB against 290–340 before read threads, 2026-12-06 19:45 UTC).
     */
    private patience = 0,
    /** Shared with other queues (the session's read queues); none: MAX_THREADS of its own. */
    private budget?: ThreadBudget,
  ) {}

  /** Start the first thread, if none is: a job will come, and should not wait for its start. */
  prepare(): void {
    if (this.startedAt.length === 0) this.start();
  }

  /**
   * Queue `job` for a thread, which answers it (starting one if more jobs wait than threads do).
   * False when it cannot be (the caller makes the call itself, and still owns the fd): the queue
   * is full, or no thread runs and none could be started.
   */
  run(job: Job): boolean {
    const q = this.q;
    const t = this.tail;
    const o = JOBS + (t & (QUEUE - 1)) * JOB;
    if (Atomics.load(q, o + STATE) !== FREE) return false;
    if (this.live() + this.starting() === 0 && !this.start()) return false;
    q[o + FD] = job.fd;
    q[o + UNIQUE_LO] = job.unique % 2 ** 32;
    q[o + UNIQUE_HI] = Math.floor(job.unique / 2 ** 32);
    if ('read' in job) {
      q[o + KIND] = READ;
      q[o + WAKE] = job.wake ?? -1;
      q[o + OFFSET_LO] = job.offset % 2 ** 32;
      q[o + OFFSET_HI] = Math.floor(job.offset / 2 ** 32);
      q[o + SIZE] = job.size;
    } else {
      q[o + KIND] = job.datasync ? FDATASYNC : FSYNC;
      q[o + WAKE] = job.wake ?? -1;
    }
    if (this.patience > 0) this.queuedAt[t & (QUEUE - 1)] = performance.now();
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
   * thread just woken may not have taken its job yet, which can start one more than needed), once
   * the oldest has waited `patience`. Also called while a copy-up waits for its fsync, so that a
   * thread that never ran is replaced.
   */
  tend(): void {
    const oldest = this.wantsThread();
    if (oldest < 0) return;
    if (this.patience > 0 && performance.now() - oldest < this.patience) return;
    this.start();
  }

  /**
   * When the oldest queued job was queued (performance.now; without patience, 0) if more jobs
   * wait than threads are waiting or starting and one more may start; else -1.
   */
  private wantsThread(): number {
    const head = Atomics.load(this.q, HEAD);
    const queued = (this.tail - head) | 0;
    if (queued === 0 || !this.mayStart()) return -1;
    const starting = this.starting();
    if (queued <= Atomics.load(this.q, WAITING) + starting || this.live() + starting >= MAX_THREADS) return -1;
    return this.patience > 0 ? this.queuedAt[head & (QUEUE - 1)]! : 0;
  }

  /** Whether a start may be tried now: spawns and budget left, and no failed start in the last RETRY_MS. */
  private mayStart(): boolean {
    if (this.budget !== undefined && this.budget.left <= 0) return false;
    return this.startedAt.length + this.failedStarts < MAX_SPAWNS && performance.now() >= this.noStartBefore;
  }

  /**
   * With `patience`, how long (ms) until tend would start a thread for the oldest queued job (0:
   * now); -1 when it would start none (no job waits for a thread, or no more may start: the loop
   * must not spin on a poll of no timeout while eight threads are stuck), or without patience
   * (run starts what is needed). The loop waits no longer than this for requests, then tends: a
   * job queued behind a stuck thread gets its own even when no other job comes to call tend (a
   * READ of a file the page cache lacks, behind a READ held by a stalled disk, waited for that
   * disk).
   */
  waitMs(): number {
    if (this.patience === 0) return -1;
    const oldest = this.wantsThread();
    return oldest < 0 ? -1 : Math.max(0, Math.ceil(oldest + this.patience - performance.now()));
  }

  /**
   * The session is over: each thread ends once its call (if any) has, closing its dup of the
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
    const now = performance.now();
    for (let i = 0; i < this.startedAt.length; i++) {
      if (Atomics.load(this.q, ALIVE + i) === 0 && now - this.startedAt[i]! < START_MS) n++;
    }
    return n;
  }

  /** Start a thread; false if it cannot be (no fd or thread to be had: the caller makes the call itself). */
  private start(): boolean {
    if (!this.mayStart()) return false;
    const index = this.startedAt.length;
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
      this.failedStarts++;
      this.noStartBefore = performance.now() + RETRY_MS;
      return false;
    }
    this.startedAt.push(performance.now());
    if (this.budget !== undefined) this.budget.left--;
    return true;
  }
}
