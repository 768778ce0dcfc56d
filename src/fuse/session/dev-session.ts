// What the loop offers the filesystem (the contract's Session) on a /dev/fuse connection.
// Notifications are encoded here and handed to `sendNotify`, which writes them from another
// thread: a notification can wait in the kernel for a lock (INVAL_ENTRY: the parent directory;
// INVAL_INODE: a page under read) that a request still queued for this very loop holds, so the
// loop must never write one itself. The one the loop waits for (invalListing) it waits for with a
// bound, so such a lock costs that bound once, never a hang.
import { backingClose, backingOpen, writeDev } from '../../sys/devfuse.js';
import { InitFlag, NOTIFY_INVAL_ENTRY_SIZE, OUT_HEADER_SIZE, encodeNotifyInvalEntry, encodeNotifyInvalInode } from '../protocol/index.js';
import type { Session } from './filesystem.js';
import { syncsLong } from './sync-aside.js';
import { closeFd, dupFd, fdatasyncFd, fsyncFd } from '../../sys/fd.js';

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

  constructor(
    private devFd: number,
    /** Hand `message` to the notifying thread; with `waitMs`, return once it is written or that time passed. */
    private sendNotify: (message: Buffer, waitMs?: number) => void,
    /**
     * Hand an fsync to that thread (SyncAside): it syncs `fd`, closes it, and answers request
     * `unique`. Absent: the loop syncs every one itself.
     */
    private sendSync: ((unique: number, fd: number, datasync: boolean) => void) | null = null,
  ) {}

  /**
   * FSYNC or FSYNCDIR `unique` of `fd` (`owned`: the request's own fd, closed here or by the
   * thread it is handed to; else valid until the answer). One with much data to write is handed to
   * the main thread, which answers it: true. Any other is synced here (its error thrown with its
   * errno), and the loop answers it: false.
   */
  sync(unique: number, fd: number, datasync: boolean, owned: boolean): boolean {
    if (this.sendSync !== null && syncsLong(fd)) {
      // A dup of a handle's fd: the answer comes after the loop has moved on (the handle may be
      // released then). Its close is one more CLOSE_WRITE for the layer watcher, so only here.
      this.sendSync(unique, owned ? fd : dupFd(fd), datasync);
      return true;
    }
    try {
      if (datasync) fdatasyncFd(fd);
      else fsyncFd(fd);
    } finally {
      if (owned) closeFd(fd);
    }
    return false;
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
