// Content duplicates across all layers and images: distinct inodes with the same size and xxh64,
// largest waste first. Hard links are one inode and never a duplicate. Pure.
import type { ContentHashes } from './content-hashes.js';
import { IdSet } from './id-table.js';
import type { DuplicateGroup, Duplicates } from './report.js';
import type { Entry } from './types.js';

/** Paths listed per group in the report; the counts stay exact. */
export const MAX_GROUP_PATHS = 20;

export interface Located {
  entry: Entry;
  /** the layer dir relative to the data root; the entry's path is appended only for reported files */
  base: string;
  /** the layer's cache ID ('' when unknown) */
  layer?: string;
}

/** Two or more inodes of one size and hash: the first name seen of each (its other names are hard links, not copies). */
interface Group {
  size: number;
  /** the group's first file, whose hash is the group's */
  head: Located;
  first: Located[];
}

/** A slot number for a hash: a mix of its high half (32 bits of an xxh64, uniform already; the mix spreads hand-made test hashes). */
function slotOf(hi: number, mask: number): number {
  let h = Math.imul(hi ^ (hi >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) & mask;
}

/**
 * The hashed files grouped by (size, hash), each group's files in the order given, the groups in the
 * order of their first file. An open-addressing table of file numbers over the hashes' u32 halves,
 * not a Map keyed by a hash string: that Map of 118 800 strings (and a `size:hash` key on an xxh64
 * collision) was ~350 ms of the main thread's CPU on the bench root, the table ~30 ms.
 */
function groupsOf(files: Located[], los: Uint32Array, his: Uint32Array): Group[] {
  const n = files.length;
  let cap = 16;
  while (cap < 2 * n) cap *= 2;
  const mask = cap - 1;
  // slot → 1 + the group's first file; file → 1 + the next file of its group
  const head = new Int32Array(cap);
  const next = new Int32Array(n);
  const tail = new Int32Array(cap);
  const count = new Int32Array(cap);
  // the slots whose group has a second file, in the order that happened
  const firstSlots: number[] = [];
  for (let i = 0; i < n; i++) {
    const lo = los[i]!;
    const hi = his[i]!;
    const size = files[i]!.entry.size;
    let s = slotOf(hi, mask);
    for (;;) {
      const h = head[s]!;
      if (h === 0) {
        head[s] = tail[s] = i + 1;
        count[s] = 1;
        break;
      }
      if (los[h - 1] === lo && his[h - 1] === hi && files[h - 1]!.entry.size === size) {
        next[tail[s]! - 1] = i + 1;
        tail[s] = i + 1;
        if (++count[s]! === 2) firstSlots.push(s);
        break;
      }
      s = (s + 1) & mask;
    }
  }
  // A group's order is that of its first file, as a Map's insertion order gave it.
  firstSlots.sort((a, b) => head[a]! - head[b]!);
  return firstSlots.map((s) => {
    const first: Located[] = [];
    for (let f = head[s]!; f !== 0; f = next[f - 1]!) first.push(files[f - 1]!);
    return { size: first[0]!.entry.size, head: first[0]!, first };
  });
}

// Only the first name of each hashed inode counts (give the files bottom layer first, so that name
// is in the layer that added the file); path strings are built only for the groups reported.
export function findDuplicates(files: Iterable<Located>, hashes: ContentHashes): Duplicates {
  const hashed: Located[] = [];
  const los = new Uint32Array(hashes.size);
  const his = new Uint32Array(hashes.size);
  const seen = new IdSet();
  let hashedBytes = 0;
  for (const located of files) {
    const { entry } = located;
    if (entry.type !== 'file' || !hashes.has(entry.id) || !seen.add(entry.id)) continue;
    hashedBytes += entry.size;
    los[hashed.length] = hashes.lo(entry.id);
    his[hashed.length] = hashes.hi(entry.id);
    hashed.push(located);
  }
  const groups: DuplicateGroup[] = [];
  for (const g of groupsOf(hashed, los, his)) {
    // Names for the listed paths only: a group of 60 copies lists 20.
    const listed = g.first.slice(0, MAX_GROUP_PATHS).map((l) => ({ root: `${l.base}/${l.entry.path}`, layer: l.layer ?? '', path: l.entry.path }));
    groups.push({
      hash: hashes.hex(g.head.entry.id)!,
      size: g.size,
      inodes: g.first.length,
      paths: listed.map((n) => n.root),
      files: listed.map((n) => ({ layer: n.layer, path: n.path })),
      redundantBytes: (g.first.length - 1) * g.size,
    });
  }
  groups.sort((a, b) => b.redundantBytes - a.redundantBytes || a.hash.localeCompare(b.hash));
  return {
    hashedInodes: seen.size,
    hashedBytes,
    groups,
    redundantInodes: groups.reduce((n, g) => n + g.inodes - 1, 0),
    redundantBytes: groups.reduce((n, g) => n + g.redundantBytes, 0),
  };
}
