// What the loop offers the filesystem (the contract's Session) on a /dev/fuse connection.
// Notifications are encoded here and handed to `sendNotify`, which writes them from another
// thread: a notification can wait in the kernel for a lock (INVAL_ENTRY: the parent directory;
// INVAL_INODE: a page under read) that a request still queued for this very loop holds, so the
// loop must never write one itself. The one the loop waits for (invalListing) it waits for with a
// bound, so such a lock costs that bound once, never a hang.
import { PollSet, backingClose, backingOpen, writeDev } from '../../sys/devfuse.js';
import {
  EXPIRE_ONLY_MINOR,
  FUSE_EXPIRE_ONLY,
  InitFlag,
  NOTIFY_INVAL_ENTRY_SIZE,
  OUT_HEADER_SIZE,
  encodeNotifyInvalEntry,
  encodeNotifyInvalInode,
} from '../protocol/index.js';
import type { Session } from './filesystem.js';
import { BlockingThreads, type ThreadBudget } from './blocking-threads.js';
import { OvlError, errnoName, errnoNumber, errnoOf } from '../../errors.js';
import { closeFd, dupFd, eventFd, fdatasyncFd, fsyncFd, readEventFd } from '../../sys/fd.js';
import { fstatReal } from '../../sys/real-stat.js';
import { CopyReads, type Window } from './copy-reads.js';
import { nameByteLength } from '../../format/byte-names.js';

const ENODEV = errnoNumber('ENODEV');

export interface WatchedFd {
  fd: number;
  /** Serve what is readable; true when some of it came from others than this daemon. */
  onReadable: () => boolean | void;
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
/** How often the loop looks for rung bells of abandoned copy-up reads while any are out. */
const ABANDONED_WAIT_MS = 1000;
/** Read threads of all read queues together, at most (a thread is ~9 MB). */
const READ_THREADS = 8;

export class DevSession implements Session {
  grantedFlags = 0n;
  /** The protocol minor answered at INIT (what notifications may carry). */
  protocolMinor = 0;
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
  /** Bells of copy-up reads no one waits for now (a window read ahead for a copy that ended): closed once rung. */
  private abandoned: number[] = [];

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

  /**
   * How long the loop may wait for requests before tendReads (-1: as long as it likes); while
   * abandoned copy-up reads are out, a second, so that their bells are closed without a request.
   */
  readsWaitMs(): number {
    let wait = this.abandoned.length > 0 ? ABANDONED_WAIT_MS : -1;
    for (const reads of this.reads.values()) {
      const w = reads.waitMs();
      if (w >= 0 && (wait < 0 || w < wait)) wait = w;
    }
    return wait;
  }

  /**
   * Start a read thread where a READ has waited long enough for busy ones (BlockingThreads.tend);
   * close the bells of abandoned copy-up reads that have rung.
   */
  tendReads(): void {
    for (const reads of this.reads.values()) reads.tend();
    if (this.abandoned.length > 0) this.abandoned = this.abandoned.filter((bell) => !rungAndClosed(bell));
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
   * A copy-up's reads of its lower (copy-reads.ts): a chunk the page cache lacks is read in by a
   * read thread of the lower's filesystem, window by window, while this thread serves the mount.
   */
  readonly copyReads = new CopyReads({
    readWindow: (fd, from, to) => this.readWindow(fd, from, to),
    waitWindow: (w, path) => this.serveUntilRung(w.bell, 'read', path, true),
    abandon: (w) => this.abandoned.push(w.bell),
  });

  /** Hand the read of [from, to) of `fd` into the page cache to its filesystem's read queue, with a bell of its own. */
  private readWindow(fd: number, from: number, to: number): Window | null {
    // Nothing to serve while it is read (no loop has set meanwhile): the copy reads in place.
    if (this.meanwhile === undefined) return null;
    const reads = this.readsOf(fd);
    if (reads === null) return null;
    const given = this.dupOrNot(fd);
    if (given < 0) return null;
    let bell = -1;
    try {
      bell = eventFd();
      if (reads.run({ read: true, unique: 0, fd: given, offset: from, size: to - from, wake: bell })) return { from, to, bell };
    } catch {
      // no eventfd to be had (EMFILE): read in place
    }
    closeFd(given);
    if (bell >= 0) closeFd(bell);
    return null;
  }

  private bell(): number {
    return (this.doorbell ??= eventFd());
  }

  /**
   * Serve what comes meanwhile (Session.meanwhile) until a thread rings `bell` with its call's
   * errno + 1, then throw that call's error (`call` on `path`), or what `meanwhile` threw.
   */
  private serveUntilRung(bell: number, call: string, path: string, abandonable = false): void {
    const own = bell === this.doorbell;
    const poll = own ? (this.doorbellPoll ??= new PollSet([this.devFd, bell])) : new PollSet([this.devFd, bell]);
    const doorbellOnly = own ? (this.doorbellOnly ??= new PollSet([bell])) : new PollSet([bell]);
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
        if (!own) closeFd(bell);
        if (failure !== null) throw failure;
        if (rung > 1) throw new OvlError(errnoName(rung - 1), call, { path });
        return;
      }
      if (!reading) continue;
      try {
        reading = this.meanwhile!();
      } catch (err) {
        // A read into the page cache is left to end alone: its bell is closed once rung.
        if (abandonable) {
          this.abandoned.push(bell);
          throw err;
        }
        // EINTR (the caller is being killed) comes once; serving goes on. ENODEV: nothing to serve.
        failure ??= err;
        if (errnoOf(err) === ENODEV) reading = false;
      }
    }
  }

  /**
   * The session is over: threads end once their calls have (QUIT), the doorbell is closed (the
   * bells of abandoned copy-up reads are not: a thread still reading would write to them).
   */
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
    const b = Buffer.alloc(OUT_HEADER_SIZE + NOTIFY_INVAL_ENTRY_SIZE + nameByteLength(name) + 1);
    // Expire only: a d_invalidate() would detach every mount on the dentry or below it (a chroot's
    // /proc bind-mounted in the merged dir), where the kernel's overlay detaches nothing for a
    // change in a layer. The next walk asks again (LOOKUP) and drops the dentry only if the name
    // now names another node or none. Kernels before 7.38 refuse the flag: they get the full drop.
    encodeNotifyInvalEntry(b, parent, name, this.protocolMinor >= EXPIRE_ONLY_MINOR ? FUSE_EXPIRE_ONLY : 0);
    this.sendNotify(b);
  }

  backingOpen(fd: number): number | null {
    if (!(this.grantedFlags & InitFlag.PASSTHROUGH)) return null;
    return backingOpen(this.devFd, fd);
  }

  backingClose(id: number): void {
    backingClose(this.devFd, id);
  }

  watchFd(fd: number, onReadable: () => boolean | void): void {
    this.watched.push({ fd, onReadable });
    this.watchGeneration++;
  }
}

/**
 * Close `bell` if its thread has rung it: true. Until then it stays open, whatever else ends: the
 * thread still writes to it, and a number closed early could by then be another file's.
 */
function rungAndClosed(bell: number): boolean {
  if (readEventFd(bell) === 0) return false;
  closeFd(bell);
  return true;
}
