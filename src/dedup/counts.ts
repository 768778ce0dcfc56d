// Counting what layers cost on disk: entries, distinct inodes, regular bytes and disk blocks
// once per inode (as `du` counts hard links), and the highest link count. Pure.
import type { Counts, Entry } from './types.js';

export const ZERO: Counts = { entries: 0, inodes: 0, regularBytes: 0, diskBytes: 0, maxLinks: 0 };

/** Union of inodes over any number of layer trees: a hard link shared by two layers counts once. */
export class InodeTally {
  private readonly seen = new Set<string>();
  private c: Counts = { ...ZERO };

  /** Add a layer's top dir: an inode, but not an entry (the contract). */
  addTop(top: Entry): void {
    this.addInode(top);
  }

  /** Add one entry below a top dir. */
  add(entry: Entry): void {
    this.c.entries++;
    this.addInode(entry);
  }

  addTree(top: Entry, entries: readonly Entry[]): void {
    this.addTop(top);
    for (const e of entries) this.add(e);
  }

  private addInode(e: Entry): void {
    if (this.seen.has(e.inode)) return;
    this.seen.add(e.inode);
    this.c.inodes++;
    if (e.type === 'file') this.c.regularBytes += e.size;
    this.c.diskBytes += e.blocks * 512;
    // Directory link counts are 2 + subdirs, not hard links; EMLINK risk is about files.
    if (e.type !== 'dir' && e.nlink > this.c.maxLinks) this.c.maxLinks = e.nlink;
  }

  result(): Counts {
    return { ...this.c };
  }
}

export function addCounts(a: Counts, b: Counts): Counts {
  return {
    entries: a.entries + b.entries,
    inodes: a.inodes + b.inodes,
    regularBytes: a.regularBytes + b.regularBytes,
    diskBytes: a.diskBytes + b.diskBytes,
    maxLinks: Math.max(a.maxLinks, b.maxLinks),
  };
}

export interface Saved {
  inodes: number;
  bytes: number;
  /** saved disk bytes as a percentage of the chained layout's disk bytes */
  percent: number;
  /** saved inodes as a percentage of the chained layout's inodes */
  inodesPercent: number;
}

/** What the multi-lower layout saves over the chained one. */
export function savedBetween(chained: Counts, multiLower: Counts): Saved {
  const inodes = chained.inodes - multiLower.inodes;
  const bytes = chained.diskBytes - multiLower.diskBytes;
  const pct = (part: number, whole: number): number => (whole > 0 ? Math.round((part / whole) * 10000) / 100 : 0);
  return { inodes, bytes, percent: pct(bytes, chained.diskBytes), inodesPercent: pct(inodes, chained.inodes) };
}
