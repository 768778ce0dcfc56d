// Counting what layers cost on disk: entries, distinct inodes, regular bytes and disk blocks
// once per inode (as `du` counts hard links), and the highest link count. Pure.
import { IdSet, IdTable } from './id-table.js';
import type { Counts, Entry } from './types.js';
import { CHUNK } from './chunks.js';

export const ZERO: Counts = { entries: 0, inodes: 0, regularBytes: 0, diskBytes: 0, maxLinks: 0 };

/** What the measured numbers are made of (reported next to every measured Counts). */
export interface Breakdown {
  /** distinct inodes by type ('other': fifos, sockets, devices, whiteouts) */
  inodesByType: { file: number; dir: number; symlink: number; other: number };
  /** names whose inode has another name among the counted entries (hard links within or across layers) */
  hardlinkedEntries: number;
  /** st_blocks × 512 of the directory inodes */
  dirBytes: number;
}

export type Measured = Counts & { breakdown: Breakdown };

export function emptyBreakdown(): Breakdown {
  return { inodesByType: { file: 0, dir: 0, symlink: 0, other: 0 }, hardlinkedEntries: 0, dirBytes: 0 };
}

export function addBreakdowns(a: Breakdown, b: Breakdown): Breakdown {
  const t = (k: keyof Breakdown['inodesByType']) => a.inodesByType[k] + b.inodesByType[k];
  return {
    inodesByType: { file: t('file'), dir: t('dir'), symlink: t('symlink'), other: t('other') },
    hardlinkedEntries: a.hardlinkedEntries + b.hardlinkedEntries,
    dirBytes: a.dirBytes + b.dirBytes,
  };
}

/** Union of inodes over any number of layer trees: a hard link shared by two layers counts once. */
export class InodeTally {
  private readonly seen = new IdSet();
  /** names per non-directory inode, and the sum of those counts that exceed 1 */
  private readonly names = new IdTable();
  private hardlinked = 0;
  private c: Counts = { ...ZERO };
  private b: Breakdown = emptyBreakdown();

  /** Add a layer's top dir: an inode, but not an entry (the contract). */
  addTop(top: Entry): void {
    this.addInode(top);
  }

  /** Add one entry below a top dir. */
  add(entry: Entry): void {
    this.c.entries++;
    if (entry.type !== 'dir') {
      const n = this.names.inc(entry.id);
      // The second name makes both count; each further name counts itself.
      if (n > 1) this.hardlinked += n === 2 ? 2 : 1;
    }
    this.addInode(entry);
  }

  addTree(top: Entry, entries: readonly Entry[]): void {
    this.addTop(top);
    for (const e of entries) this.add(e);
  }

  private addInode(e: Entry): void {
    if (!this.seen.add(e.id)) return;
    this.c.inodes++;
    if (e.type === 'file') this.c.regularBytes += e.size;
    this.c.diskBytes += e.blocks * 512;
    const kind = e.type === 'file' || e.type === 'dir' || e.type === 'symlink' ? e.type : 'other';
    this.b.inodesByType[kind]++;
    if (e.type === 'dir') this.b.dirBytes += e.blocks * 512;
    // Directory link counts are 2 + subdirs, not hard links; EMLINK risk is about files.
    if (e.type !== 'dir' && e.nlink > this.c.maxLinks) this.c.maxLinks = e.nlink;
  }

  result(): Counts {
    return { ...this.c };
  }

  /** The counts with their breakdown. */
  measured(): Measured {
    return { ...this.c, breakdown: { ...this.b, inodesByType: { ...this.b.inodesByType }, hardlinkedEntries: this.hardlinked } };
  }
}

/** One tree's share of unions over several trees (see `tallyParts`). */
export interface TallyPart {
  /** the tree's entries and the inodes no other tree has, counted */
  own: Measured;
  /** tops and entries whose inode another tree has too: recounted in each union */
  sharedTops: Entry[];
  shared: Entry[];
}

/**
 * Split trees (layers) into parts once, so the union over any subset of them (a layer, an image,
 * the store) adds the parts and recounts only the inodes several trees share: on an overlay2 root
 * almost none, so each entry is tallied once instead of once per image that holds its layer.
 */
export function tallyParts(trees: ReadonlyArray<{ top: Entry; entries: readonly Entry[] }>): TallyPart[] {
  // The first tree (index + 1) holding each inode.
  const first = new IdTable();
  const shared = new IdSet();
  // Both passes go 1 024 entries per call: as one loop per tree they ran in baseline code until
  // on-stack replacement, tree after tree (~30 M instructions in callgrind on the bench root).
  trees.forEach((t, i) => {
    markFirst(t.top, i, first, shared);
    for (let k = 0; k < t.entries.length; k += CHUNK) markRange(t.entries, i, first, shared, k, Math.min(t.entries.length, k + CHUNK));
  });
  return trees.map((t) => {
    const tally = new InodeTally();
    const part: TallyPart = { own: tally.measured(), sharedTops: [], shared: [] };
    if (shared.has(t.top.id)) part.sharedTops.push(t.top);
    else tally.addTop(t.top);
    for (let k = 0; k < t.entries.length; k += CHUNK) splitRange(t.entries, shared, tally, part.shared, k, Math.min(t.entries.length, k + CHUNK));
    part.own = tally.measured();
    return part;
  });
}

/** Note tree `i` as the first holding `e`'s inode, or the inode as shared when an earlier tree held it. */
function markFirst(e: Entry, i: number, first: IdTable, shared: IdSet): void {
  const f = first.get(e.id);
  if (f === 0) first.set(e.id, i + 1);
  else if (f !== i + 1) shared.add(e.id);
}

function markRange(entries: readonly Entry[], i: number, first: IdTable, shared: IdSet, from: number, to: number): void {
  for (let k = from; k < to; k++) markFirst(entries[k]!, i, first, shared);
}

/** Tally the entries whose inode no other tree holds; list the others in `out`. */
function splitRange(entries: readonly Entry[], shared: IdSet, tally: InodeTally, out: Entry[], from: number, to: number): void {
  for (let k = from; k < to; k++) {
    const e = entries[k]!;
    if (shared.has(e.id)) out.push(e);
    else tally.add(e);
  }
}

export function addMeasured(a: Measured, b: Measured): Measured {
  return { ...addCounts(a, b), breakdown: addBreakdowns(a.breakdown, b.breakdown) };
}

/** The tally of the union of the parts' trees: what one InodeTally over all of them would give. */
export function unionOf(parts: readonly TallyPart[]): Measured {
  const t = new InodeTally();
  for (const p of parts) {
    for (const top of p.sharedTops) t.addTop(top);
    for (const e of p.shared) t.add(e);
  }
  return parts.reduce((m, p) => addMeasured(m, p.own), t.measured());
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
