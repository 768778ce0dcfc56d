// What the loop offers the filesystem (the contract's Session) on a /dev/fuse connection.
// Notifications are encoded here and handed to `sendNotify`, which writes them from another
// thread: a notification can wait in the kernel for a lock (INVAL_ENTRY: the parent directory;
// INVAL_INODE: a page under read) that a request still queued for this very loop holds, so the
// loop must never write one itself. The one the loop waits for (invalListing) it waits for with a
// bound, so such a lock costs that bound once, never a hang.
import { PollSet, backingClose, backingOpen, writeDev } from '../../sys/devfuse.js';
import { InitFlag, NOTIFY_INVAL_ENTRY_SIZE, OUT_HEADER_SIZE, encodeNotifyInvalEntry, encodeNotifyInvalInode } from '../protocol/index.js';
import type { Session } from './filesystem.js';
import { BlockingThreads, type ThreadBudget } from './blocking-threads.js';
import { OvlError, errnoName, errnoNumber, errnoOf } from '../../errors.js';
import { closeFd, dupFd, eventFd, fdatasyncFd, fsyncFd, readEventFd } from '../../sys/fd.js';
import { fstatReal } from '../../sys/real-stat.js';
import { NOWAIT_REFUSED, PAGE, readCached } from '../../sys/read-cached.js';

const ENODEV = errnoNumber('ENODEV');

export interface WatchedFd {
  fd: number;
  onReadable: () => void;
}

/**
 * How long the loop waits for a listing's invalidation to be written. It takes well under a
 * millisecond; it waits longer only when the dir's page is locked by a reader whose copy into
 * user memory faults on a file of this mount, a READ queued for this very loop (the kernel's
 * fuse_readdir_cached copies under the page lock), which the loop serves once the wait ends.
 */
export const LISTING_WAIT_MS = 200;

/** How long a READ waits in the queue for a busy read thread before another starts (BlockingThreads' patience). */
const READ_PATIENCE_MS = 20;
/** How much of a copy-up's cold lower a read thread reads in at once (readServing). */
const COPY_READ_WINDOW = 8 << 20;
/** Read threads of all read queues together, at most (a thread is ~9 MB). */
const READ_THREADS = 8;

export class DevSession implements Session {
  grantedFlags = 0n;
  readonly watched: WatchedFd[] = [];
  /** Bumped when watched changes, so the loop rebuilds its poll set. */
  watchGeneration = 0;
  /** Set by the loop (Meanwhile.serve). */
  meanwhile?: () => boolean;
  private readonly attrsOnly = Buffer.alloc(OUT_HEADER_SIZE + 24);
  /**
   * fsyncs, and reads of data the page cache lacks, in queues of their own: fsyncs in one, reads
   * in one per filesystem (st_dev), so that none waits behind another's stalled disk (with one
   * queue for all reads, eight READs stuck on one lower's disk held a cold read of another lower
   * for as long: a review).
   */
  private readonly syncs: BlockingThreads;
  private readonly reads = new Map<number, BlockingThreads>();
  private readonly readBudget: ThreadBudget = { left: READ_THREADS };
  /** syncServing's eventfd and poll sets, made at its first hand-over. */
  private doorbell: number | undefined;
  private doorbellPoll: PollSet | undefined;
  private doorbellOnly: PollSet | undefined;
  /** readServing's one page for asking whether the filesystem reads without waiting. */
  private probe: Buffer | undefined;
  /** The window of a copy-up's lower file a read thread reads ahead (readServing), if any. */
  private ahead: { fd: number; from: number; to: number } | null = null;

  constructor(
    private devFd: number,
    /** Hand `message` to the notifying thread; with `waitMs`, return once it is written or that time passed. */
    private sendNotify: (message: Buffer, waitMs?: number) => void,
  ) {
    this.syncs = new BlockingThreads(devFd);
  }

  /**
   * FSYNC or FSYNCDIR `unique` of `fd` (`owned`: the request's own fd, closed here or by the
   * thread it is handed to; else a handle's). Queued for a sync thread, which answers it: true.
   * When the queue is full or no thread can start, synced here (its error thrown with its errno)
   * and answered by the loop: false.
   */
  sync(unique: number, fd: number, datasync: boolean, owned: boolean): boolean {
    // A handle's fd is dup'ed: the handle may be gone before the fsync is (destroy() closes every
    // handle's fd at unmount or abort while a stalled disk still holds the fsync).
    const given = owned ? fd : this.dupOrNot(fd);
    if (given >= 0 && this.syncs.run({ unique, fd: given, datasync })) return true;
    if (given >= 0 && !owned) closeFd(given);
    try {
      if (datasync) fdatasyncFd(fd);
      else fsyncFd(fd);
    } finally {
      if (owned) closeFd(fd);
    }
    return false;
  }

  /**
   * READ `unique` of `size` bytes of `fd` (a handle's) at `offset`, whose data the page cache
   * lacks: handed to a read thread of its filesystem's queue, which answers it (true), while the
   * loop serves others; the first of a queue waits ~20 ms for its thread's start (read by the
   * loop meanwhile, it held the mount on a stalled disk: a review). False when no thread runs or
   * can start for it (the read budget is spent on other filesystems' queues), the queue is full,
   * or no fd is to be had: the loop reads it, as it did before read threads. The handle's fd is
   * dup'ed, as for an fsync: destroy() closes every handle's fd at unmount while a stalled disk
   * may still hold the read.
   */
  readAside(unique: number, fd: number, offset: number, size: number): boolean {
    const reads = this.readsOf(fd);
    if (reads === null) return false;
    const given = this.dupOrNot(fd);
    if (given < 0) return false;
    if (reads.run({ read: true, unique, fd: given, offset, size })) return true;
    closeFd(given);
    return false;
  }

  /** The read queue of `fd`'s filesystem, made at its first use; null when fstat fails. */
  private readsOf(fd: number): BlockingThreads | null {
    let dev: number;
    try {
      dev = fstatReal(fd).dev;
    } catch {
      return null;
    }
    let reads = this.reads.get(dev);
    if (reads === undefined) this.reads.set(dev, (reads = new BlockingThreads(this.devFd, READ_PATIENCE_MS, this.readBudget)));
    return reads;
  }

  /** How long the loop may wait for requests before tendReads (-1: as long as it likes). */
  readsWaitMs(): number {
    let wait = -1;
    for (const reads of this.reads.values()) {
      const w = reads.waitMs();
      if (w >= 0 && (wait < 0 || w < wait)) wait = w;
    }
    return wait;
  }

  /** Start a read thread where a READ has waited long enough for busy ones (BlockingThreads.tend). */
  tendReads(): void {
    for (const reads of this.reads.values()) reads.tend();
  }

  /** A large copy-up has begun: its syncServing should find a sync thread running. */
  prepareSync(): void {
    this.syncs.prepare();
  }

  /**
   * fsync(2) of a copy-up's `fd` (`path` names it in errors) while the mount is served: a sync
   * thread syncs a dup of it and rings a doorbell when done, and this thread answers what comes
   * meanwhile (Session.meanwhile) until then. A caller killed meanwhile (EINTR) is thrown once the
   * fsync has ended, others still served until then; an unmount (ENODEV) too, nothing served: an
   * fsync is not interruptible (nor is the kernel overlay's at copy-up), and the copy-up must not
   * remove its file under it.
   */
  syncServing(fd: number, path: string): void {
    if (this.meanwhile === undefined) return fsyncFd(fd, path);
    const bell = this.bell();
    const given = this.dupOrNot(fd);
    if (given < 0 || !this.syncs.run({ unique: 0, fd: given, datasync: false, wake: bell })) {
      if (given >= 0) closeFd(given);
      return fsyncFd(fd, path);
    }
    this.serveUntilRung(bell, 'fsync', path);
  }

  /**
   * Bring `size` bytes of a copy-up's lower file `fd` at `offset` into the page cache while the
   * mount is served, when it lacks some of them (the core asked rangeCached first): a read thread
   * of the file's filesystem reads them and rings the doorbell, and this thread answers what
   * comes meanwhile, as syncServing does, so that copy_file_range then copies from memory (it read
   * a stalled lower disk on the loop and held the whole mount: a write open of a cold file was
   * enough). A window of COPY_READ_WINDOW is read at once, and the next window of the copy (up to
   * `end`) is handed to the thread as soon as this one is in, so that the disk reads it while the
   * loop copies this one (read and copied in turn, a cold 256 MiB copy-up took ~1.6× as long as
   * the loop's own copy_file_range, which the kernel reads ahead for). Left to the copy itself
   * (returns at once) when the filesystem cannot read without waiting (RWF_NOWAIT refused: tmpfs,
   * a kernel overlay, FUSE: as their READs are), when no read thread runs or can start, or no fd
   * is to be had. Throws the read's error (EIO of a failing disk), or what `meanwhile` threw once
   * the read has ended: a read from a disk is not interruptible, nor is the kernel overlay's at
   * copy-up. finishCopyReads must follow the copy.
   */
  readServing(fd: number, offset: number, size: number, end: number, path: string): void {
    if (this.meanwhile === undefined) return;
    const ahead = this.ahead;
    this.ahead = null;
    let from: number;
    if (ahead !== null && ahead.fd === fd && offset >= ahead.from && offset + size <= ahead.to) {
      this.serveUntilRung(this.bell(), 'read', path);
      from = ahead.to;
    } else {
      // One read is out at most: the doorbell's count is then its alone.
      if (ahead !== null) this.serveUntilRung(this.bell(), 'read', path);
      const probe = (this.probe ??= Buffer.allocUnsafe(PAGE));
      if (readCached(fd, probe, 0, Math.min(PAGE, size), offset) === NOWAIT_REFUSED) return;
      const to = Math.min(end, offset + Math.max(size, COPY_READ_WINDOW));
      if (!this.readForCopy(fd, offset, to)) return;
      this.serveUntilRung(this.bell(), 'read', path);
      from = to;
    }
    const to = Math.min(end, from + COPY_READ_WINDOW);
    if (from < to && this.readForCopy(fd, from, to)) this.ahead = { fd, from, to };
  }

  /**
   * A copy-up's copy is over (or failed): a window still being read ahead for it is waited for
   * (serving meanwhile), so that the doorbell is free; its error is not the copy's concern now.
   */
  finishCopyReads(): void {
    if (this.ahead === null) return;
    this.ahead = null;
    try {
      this.serveUntilRung(this.bell(), 'read', '');
    } catch {
      // a read error of data the copy no longer needs, or a caller killed meanwhile: the copy has
      // ended either way
    }
  }

  /** Whether a window is being read ahead for a copy-up (finishCopyReads has something to do). */
  get copyReadsPending(): boolean {
    return this.ahead !== null;
  }

  /** Hand the read of [from, to) of `fd` into the page cache to its filesystem's read queue. */
  private readForCopy(fd: number, from: number, to: number): boolean {
    const reads = this.readsOf(fd);
    if (reads === null) return false;
    const given = this.dupOrNot(fd);
    if (given < 0) return false;
    if (reads.run({ read: true, unique: 0, fd: given, offset: from, size: to - from, wake: this.bell() })) return true;
    closeFd(given);
    return false;
  }

  private bell(): number {
    return (this.doorbell ??= eventFd());
  }

  /**
   * Serve what comes meanwhile (Session.meanwhile) until a thread rings `bell` with its call's
   * errno + 1, then throw that call's error (`call` on `path`), or what `meanwhile` threw.
   */
  private serveUntilRung(bell: number, call: string, path: string): void {
    const poll = (this.doorbellPoll ??= new PollSet([this.devFd, bell]));
    const doorbellOnly = (this.doorbellOnly ??= new PollSet([bell]));
    let failure: unknown = null;
    // Whether Meanwhile reads /dev/fuse: not once the device is gone (it polls readable for ever)
    // nor while the requests it keeps are at their limit (it reads nothing more until this ends).
    let reading = true;
    for (;;) {
      // A second at most: a sync thread that never came up is replaced (BlockingThreads.tend);
      // no longer than a READ queued behind busy read threads should wait for another.
      const reads = this.readsWaitMs();
      (reading ? poll : doorbellOnly).wait(reads >= 0 ? Math.min(reads, 1000) : 1000);
      this.syncs.tend();
      this.tendReads();
      const rung = readEventFd(bell);
      if (rung !== 0) {
        if (failure !== null) throw failure;
        if (rung > 1) throw new OvlError(errnoName(rung - 1), call, { path });
        return;
      }
      if (!reading) continue;
      try {
        reading = this.meanwhile!();
      } catch (err) {
        // EINTR (the caller is being killed) comes once; serving goes on. ENODEV: nothing to serve.
        failure ??= err;
        if (errnoOf(err) === ENODEV) reading = false;
      }
    }
  }

  /** The session is over: threads end once their calls have (QUIT), the doorbell is closed. */
  close(): void {
    try {
      this.syncs.close();
    } finally {
      for (const reads of this.reads.values()) reads.close();
    }
    if (this.doorbell !== undefined) closeFd(this.doorbell);
    this.doorbell = undefined;
  }

  /** A dup of `fd`, or -1 when there is none to be had (EMFILE): the fsync is then made here. */
  private dupOrNot(fd: number): number {
    try {
      return dupFd(fd);
    } catch {
      return -1;
    }
  }

  invalInode(nodeid: number, off = 0, len = -1): void {
    const b = Buffer.alloc(OUT_HEADER_SIZE + 24);
    encodeNotifyInvalInode(b, nodeid, off, len);
    this.sendNotify(b);
  }

  invalListing(nodeid: number): void {
    const b = Buffer.alloc(OUT_HEADER_SIZE + 24);
    encodeNotifyInvalInode(b, nodeid, 0, -1);
    this.sendNotify(b, LISTING_WAIT_MS);
  }

  invalAttrs(nodeid: number): void {
    encodeNotifyInvalInode(this.attrsOnly, nodeid, -1, 0);
    try {
      // Negative when the kernel dropped the inode meanwhile (ENOENT: nothing to invalidate) or unmounted.
      writeDev(this.devFd, this.attrsOnly);
    } catch {
      // any other refusal: an invalidation is advice, never worth failing the request over
    }
  }

  invalEntry(parent: number, name: string): void {
    const b = Buffer.alloc(OUT_HEADER_SIZE + NOTIFY_INVAL_ENTRY_SIZE + Buffer.byteLength(name) + 1);
    encodeNotifyInvalEntry(b, parent, name);
    this.sendNotify(b);
  }

  backingOpen(fd: number): number | null {
    if (!(this.grantedFlags & InitFlag.PASSTHROUGH)) return null;
    return backingOpen(this.devFd, fd);
  }

  backingClose(id: number): void {
    backingClose(this.devFd, id);
  }

  watchFd(fd: number, onReadable: () => void): void {
    this.watched.push({ fd, onReadable });
    this.watchGeneration++;
  }
}
