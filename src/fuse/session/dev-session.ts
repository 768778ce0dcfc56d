// What the loop offers the filesystem (the contract's Session) on a /dev/fuse connection.
// Notifications are encoded here and handed to `sendNotify`, which writes them from another
// thread: a notification can wait in the kernel for a lock (INVAL_ENTRY: the parent directory;
// INVAL_INODE: a page under read) that a request still queued for this very loop holds, so the
// loop must never write one itself. The one the loop waits for (invalListing) it waits for with a
// bound, so such a lock costs that bound once, never a hang.
import { PollSet, backingClose, backingOpen, writeDev } from '../../sys/devfuse.js';
import { InitFlag, NOTIFY_INVAL_ENTRY_SIZE, OUT_HEADER_SIZE, encodeNotifyInvalEntry, encodeNotifyInvalInode } from '../protocol/index.js';
import type { Session } from './filesystem.js';
import { SyncThreads } from './sync-threads.js';
import { OvlError, errnoName } from '../../errors.js';
import { closeFd, dupFd, eventFd, fdatasyncFd, fsyncFd, readEventFd } from '../../sys/fd.js';

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

export class DevSession implements Session {
  grantedFlags = 0n;
  readonly watched: WatchedFd[] = [];
  /** Bumped when watched changes, so the loop rebuilds its poll set. */
  watchGeneration = 0;
  /** Set by the loop (Meanwhile.serve). */
  meanwhile?: () => void;
  private readonly attrsOnly = Buffer.alloc(OUT_HEADER_SIZE + 24);
  private readonly threads: SyncThreads;
  /** syncServing's eventfd and poll sets, made at its first hand-over. */
  private doorbell: number | undefined;
  private doorbellPoll: PollSet | undefined;
  private doorbellOnly: PollSet | undefined;

  constructor(
    private devFd: number,
    /** Hand `message` to the notifying thread; with `waitMs`, return once it is written or that time passed. */
    private sendNotify: (message: Buffer, waitMs?: number) => void,
  ) {
    this.threads = new SyncThreads(devFd);
  }

  /**
   * FSYNC or FSYNCDIR `unique` of `fd` (`owned`: the request's own fd, closed here or by the
   * thread it is handed to; else a handle's). Handed to a sync thread, which answers it: true
   * (a thread still starting takes it once it runs). When every thread is busy (stuck on the
   * disk), synced here, its error thrown with its errno, and the loop answers it: false.
   */
  sync(unique: number, fd: number, datasync: boolean, owned: boolean): boolean {
    // A handle's fd is dup'ed: the handle may be gone before the fsync is (destroy() closes every
    // handle's fd at unmount or abort while a stalled disk still holds the fsync).
    const given = owned ? fd : this.dupOrNot(fd);
    if (given >= 0 && this.threads.run({ unique, fd: given, datasync })) return true;
    if (given >= 0 && !owned) closeFd(given);
    try {
      if (datasync) fdatasyncFd(fd);
      else fsyncFd(fd);
    } finally {
      if (owned) closeFd(fd);
    }
    return false;
  }

  /** A large copy-up has begun: its syncServing should find a sync thread running. */
  prepareSync(): void {
    this.threads.prepare();
  }

  /**
   * fsync(2) of a copy-up's `fd` (`path` names it in errors) while the mount is served: an idle
   * sync thread syncs a dup of it and rings a doorbell when done, and this thread answers what
   * comes meanwhile (Session.meanwhile) until then; with none idle, synced here (the copy-up's
   * caller waits for it either way; waiting for a thread to start would only add to that). A
   * caller killed meanwhile (EINTR) or an unmount (ENODEV) is thrown only once the fsync has
   * ended: an fsync is not interruptible (nor is the kernel overlay's at copy-up), and the
   * copy-up must not remove its file under it.
   */
  syncServing(fd: number, path: string): void {
    if (this.meanwhile === undefined || !this.threads.idle()) return fsyncFd(fd, path);
    const given = this.dupOrNot(fd);
    this.doorbell ??= eventFd();
    // A thread was idle a moment ago, and only this thread gives them work: it takes this one.
    if (given < 0 || !this.threads.run({ unique: 0, fd: given, datasync: false, wake: this.doorbell }, true)) {
      if (given >= 0) closeFd(given);
      return fsyncFd(fd, path);
    }
    const poll = (this.doorbellPoll ??= new PollSet([this.devFd, this.doorbell]));
    const doorbellOnly = (this.doorbellOnly ??= new PollSet([this.doorbell]));
    let failure: unknown = null;
    for (;;) {
      (failure === null ? poll : doorbellOnly).wait();
      const rung = readEventFd(this.doorbell);
      if (rung !== 0) {
        if (failure !== null) throw failure;
        if (rung > 1) throw new OvlError(errnoName(rung - 1), 'fsync', { path });
        return;
      }
      // Whatever came on /dev/fuse; after a failure, nothing more is read (an unmounted device
      // polls readable for ever).
      try {
        this.meanwhile();
      } catch (err) {
        failure = err;
      }
    }
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
