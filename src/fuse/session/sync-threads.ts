// fsync(2) for FSYNC, FSYNCDIR and a copy-up's own fsync, off the loop's thread. An fsync waits
// for the disk: for the file's unwritten data, and for a journal commit and a cache flush even
// when it has none (on ext4 a commit also waits for other files' data), so on a slow or stalled
// disk for seconds or for ever. The loop serves one request at a time, so the whole mount waited
// with it: a stat of any other file, another client's listing. The kernel's overlay holds only
// the caller. So every fsync goes to a thread of its own here, which syncs, closes the fd it was
// given and answers the request itself (or rings the copy-up's doorbell), while the loop goes on.
//
// Threads of their own, not libuv's pool: that pool has four threads, and the main thread writes
// the kernel notifications through it; four fsyncs stuck on a stalled disk stopped every
// invalidation, and the mount answered from stale caches (a review, 2026-12-06). A thread waits on
// its mailbox with Atomics.wait and is woken by one futex wake: the hand-over to the main thread's
// event loop cost three wake-ups. A thread takes ~20 ms to start: the first starts at the first
// fsync, which waits for it (a mount that never syncs starts none: started at the first write
// open instead, it cost the bench's 200 copy-ups, which fsync in the core, 13 % of the daemon's
// CPU; and an fsync the loop made itself until then would hold the mount on a stalled disk);
// another starts when every one is busy, up to MAX_THREADS, and an FSYNC waits for it too. A
// copy-up's fsync, which the loop waits for anyway, takes only an idle one (a large copy-up
// starts the first as it begins: prepare()). Past MAX_THREADS busy (all stuck on the disk) the
// loop syncs itself.
import { Worker } from 'node:worker_threads';
import { dupFd } from '../../sys/fd.js';

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

// A thread's mailbox: Int32 slots.
const STATE = 0;
const FD = 1;
const DATASYNC = 2;
const WAKE = 3;
const UNIQUE_LO = 4;
const UNIQUE_HI = 5;
const SLOTS = 8;
const STARTING = 0;
const IDLE = 1;
const BUSY = 2;

// CommonJS, evaluated in the thread: nothing to resolve or bundle. Every failure is caught: an
// uncaught one would end the thread, and its caller would wait for an answer for ever (the loop's
// event loop, where a thread's 'error' arrives, never runs).
const THREAD = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const box = new Int32Array(workerData.sab, workerData.index * ${SLOTS * 4}, ${SLOTS});
const reply = Buffer.alloc(16);
const count = Buffer.alloc(8);
// Running: ready for a job, unless one was given while this thread started.
Atomics.compareExchange(box, ${STATE}, ${STARTING}, ${IDLE});
for (;;) {
  while (Atomics.load(box, ${STATE}) === ${IDLE}) Atomics.wait(box, ${STATE}, ${IDLE});
  const fd = box[${FD}];
  let errno = 0;
  try {
    if (box[${DATASYNC}]) fs.fdatasyncSync(fd);
    else fs.fsyncSync(fd);
  } catch (err) {
    errno = Math.abs(err.errno) || 5;
  }
  try { fs.closeSync(fd); } catch {}
  try {
    if (box[${WAKE}] >= 0) {
      count.writeBigUInt64LE(BigInt(errno + 1));
      fs.writeSync(box[${WAKE}], count);
    } else {
      reply.writeUInt32LE(16, 0);
      reply.writeInt32LE(-errno, 4);
      reply.writeUInt32LE(box[${UNIQUE_LO}] >>> 0, 8);
      reply.writeUInt32LE(box[${UNIQUE_HI}] >>> 0, 12);
      fs.writeSync(workerData.devFd, reply);
    }
  } catch {
    // ENODEV: unmounted or aborted meanwhile; the answer is owed to no one now.
  }
  Atomics.store(box, ${STATE}, ${IDLE});
}
`;

export class SyncThreads {
  private readonly sab = new SharedArrayBuffer(MAX_THREADS * SLOTS * 4);
  private readonly boxes = new Int32Array(this.sab);
  private started = 0;

  constructor(private devFd: number) {}

  /** Start the first thread, if none is: an fsync that should not wait for one will come. */
  prepare(): void {
    if (this.started === 0) this.start(0);
  }

  /** Whether a thread is idle now (the first is started if none is). */
  idle(): boolean {
    this.prepare();
    for (let i = 0; i < this.started; i++) if (Atomics.load(this.boxes, i * SLOTS + STATE) === IDLE) return true;
    return false;
  }

  /**
   * Hand `job` to a thread, which answers it: an idle one, else (unless `onlyIdle`) one starting,
   * started now if none is. False when none can take it now (the caller syncs itself, and still
   * owns the fd): all MAX_THREADS busy, or none idle and `onlyIdle`.
   */
  run(job: SyncJob, onlyIdle = false): boolean {
    const b = this.boxes;
    let starting = -1;
    for (let i = 0; i < this.started; i++) {
      const state = Atomics.load(b, i * SLOTS + STATE);
      if (state === IDLE) return this.give(i, job, IDLE);
      if (state === STARTING && starting < 0) starting = i;
    }
    if (starting < 0 && this.started < MAX_THREADS) this.start((starting = this.started));
    if (starting < 0 || onlyIdle) return false;
    // A thread that came up since it was looked at is idle now.
    return this.give(starting, job, STARTING) || this.give(starting, job, IDLE);
  }

  /** Fill thread `i`'s mailbox with `job` if its state is still `from`; false if it changed. */
  private give(i: number, job: SyncJob, from: number): boolean {
    const b = this.boxes;
    const o = i * SLOTS;
    b[o + FD] = job.fd;
    b[o + DATASYNC] = job.datasync ? 1 : 0;
    b[o + WAKE] = job.wake ?? -1;
    b[o + UNIQUE_LO] = job.unique % 2 ** 32;
    b[o + UNIQUE_HI] = Math.floor(job.unique / 2 ** 32);
    if (Atomics.compareExchange(b, o + STATE, from, BUSY) !== from) return false;
    Atomics.notify(b, o + STATE);
    return true;
  }

  private start(index: number): void {
    // Its own dup of /dev/fuse, never closed: the session's may be closed once the loop ends
    // while this thread still waits on the disk, and its number could by then be another file's.
    const devFd = dupFd(this.devFd);
    const w = new Worker(THREAD, { eval: true, workerData: { sab: this.sab, index, devFd }, trackUnmanagedFds: false });
    // Never what keeps the process alive: the daemon ends with its loop.
    w.unref();
    this.started++;
  }
}
