// Open files and directories by FUSE file handle. Handles are our own small integers, not fds,
// so a handle can swap its fd (a lower fd follows its file after a copy-up) without aliasing.

export interface Handle {
  fd: number;
  /** Merged path at open time (for logs and fd-less fallbacks). */
  path: string;
  /** True once the fd refers to the upper copy. */
  upper: boolean;
  /** `dev:ino` of the lower object a read-only handle was opened on. */
  lowerKey: string | null;
  /** The overlay's copy-up generation last checked by this handle. */
  seen: number;
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

  all(): IterableIterator<Handle> {
    return this.open.values();
  }

  entries(): IterableIterator<[number, Handle]> {
    return this.open.entries();
  }
}
