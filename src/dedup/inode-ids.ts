// Dense numbers for inodes (0, 1, 2, …): the analysis keys its sets and maps by this small integer
// instead of the `dev:ino` string, which every Map and Set had to hash and compare (string-keyed
// collections were about a quarter of the main thread's samples on the bench's 121k-entry root).
// One numbering per process: layers scanned separately (an image's chain, convert's output) still
// give the same inode the same number, exactly as they give it the same `inode` string.
export class InodeIds {
  private readonly byDev = new Map<number, Map<number | bigint, number>>();
  private readonly byKey = new Map<string, number>();
  private next = 0;
  private lastDev = -1;
  private lastInodes: Map<number | bigint, number> | undefined;

  /** The number of the inode `ino` on device `dev` (numbers from statx: no string is built). */
  of(dev: number, ino: number | bigint): number {
    // A data root is one device: its map is kept at hand, one Map lookup per entry instead of two.
    let inodes = dev === this.lastDev ? this.lastInodes : this.byDev.get(dev);
    if (inodes === undefined) this.byDev.set(dev, (inodes = new Map()));
    this.lastDev = dev;
    this.lastInodes = inodes;
    let id = inodes.get(ino);
    if (id === undefined) inodes.set(ino, (id = this.next++));
    return id;
  }

  /** The number of a hand-made entry's `inode` key (tests build entries without a filesystem). */
  ofKey(key: string): number {
    let id = this.byKey.get(key);
    if (id === undefined) this.byKey.set(key, (id = this.next++));
    return id;
  }
}

/** The process's numbering, shared by every scan. */
export const INODE_IDS = new InodeIds();
