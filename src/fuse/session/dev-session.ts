// What the loop offers the filesystem (the contract's Session) on a /dev/fuse connection.
// Notifications are encoded here and handed to `sendNotify`, which writes them from another
// thread: a notification can wait in the kernel for a lock (INVAL_ENTRY: the parent directory;
// INVAL_INODE: a page under read) that a request still queued for this very loop holds, so the
// loop must never write one itself.
import { backingClose, backingOpen, writeDev } from '../../sys/devfuse.js';
import { InitFlag, NOTIFY_INVAL_ENTRY_SIZE, OUT_HEADER_SIZE, encodeNotifyInvalEntry, encodeNotifyInvalInode } from '../protocol/index.js';
import type { Session } from './filesystem.js';

export interface WatchedFd {
  fd: number;
  onReadable: () => void;
}

export class DevSession implements Session {
  grantedFlags = 0n;
  readonly watched: WatchedFd[] = [];
  /** Bumped when watched changes, so the loop rebuilds its poll set. */
  watchGeneration = 0;
  private readonly attrsOnly = Buffer.alloc(OUT_HEADER_SIZE + 24);

  constructor(
    private devFd: number,
    private sendNotify: (message: Buffer) => void,
  ) {}

  invalInode(nodeid: number, off = 0, len = -1): void {
    const b = Buffer.alloc(OUT_HEADER_SIZE + 24);
    encodeNotifyInvalInode(b, nodeid, off, len);
    this.sendNotify(b);
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
