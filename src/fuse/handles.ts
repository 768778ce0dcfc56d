// Open files and directories by FUSE file handle. Handles are our own small integers, not fds,
// so a handle can swap its fd (a lower fd follows its file after a copy-up) without aliasing.
import { constants, openSync } from 'node:fs';

const { O_RDONLY, O_NOATIME } = constants;

export interface Handle {
  fd: number;
  /** Merged path at open time (for logs and fd-less fallbacks). */
  path: string;
  /** True once the fd refers to the upper copy. */
  upper: boolean;
  /** `dev:ino` of the lower object a read-only handle was opened on. */
  lowerKey: string | null;
  /** Opened by execve (FMODE_EXEC): only the kernel's page faults read it, see followCopyUp. */
  exec?: boolean;
  /** Opened for writing (or O_TRUNC): a SETATTR without fields may be its write's file_remove_privs. */
  writable?: boolean;
  /**
   * Opened O_RDWR, the only open a MAP_SHARED PROT_WRITE mapping can be made from: passed through,
   * its stores reach the upper file with no request and no notice to the kernel's FUSE client.
   */
  readWrite?: boolean;
  /** st_ino the overlay reports for this file. */
  ino: bigint;
  /** fds to close on release (the original one stays open after a swap). */
  extraFds: number[];
  /** The node id it was opened on (node-based transport): serves the node after its name is gone. */
  nodeid?: number;
}

export class HandleTable {
  private readonly open = new Map<number, Handle>();
  private next = 1;

  add(h: Handle): number {
    // Skip 0: fuse-native treats a zero handle as "none".
    while (this.next === 0 || this.open.has(this.next)) this.next = (this.next + 1) >>> 0;
    const fh = this.next;
    this.next = (this.next + 1) >>> 0;
    this.open.set(fh, h);
    return fh;
  }

  get(fh: number): Handle | undefined {
    return this.open.get(fh);
  }

  remove(fh: number): Handle | undefined {
    const h = this.open.get(fh);
    this.open.delete(fh);
    return h;
  }

  /**
   * The lower object `lowerKey` was just copied up to `upper`: switch every read-only handle still
   * on it to the new upper file now, while `upper` is surely that object (a later rename, exchange
   * or unlink of the name must not make an old fd read another file, as the kernel's reopen
   * follows the inode). An exec handle is read only by page faults of a mapping, which the
   * kernel serves from the lower without touching any atime: its upper fd is O_NOATIME. With
   * `name` (a lower file with other hard links) only the handles opened on that merged name: each
   * name of a lower hard link is its own overlay inode (index off: ovl_hash_bylower), its copy-up
   * a new file the other names' open files never read.
   */
  followCopyUp(lowerKey: string, upper: string, name: string | null = null): void {
    for (const h of this.open.values()) {
      if (h.upper || h.lowerKey !== lowerKey || (name !== null && h.path !== name)) continue;
      h.extraFds.push(h.fd);
      h.fd = openSync(upper, O_RDONLY | (h.exec ? O_NOATIME : 0));
      h.upper = true;
    }
  }

  all(): IterableIterator<Handle> {
    return this.open.values();
  }

  entries(): IterableIterator<[number, Handle]> {
    return this.open.entries();
  }
}
