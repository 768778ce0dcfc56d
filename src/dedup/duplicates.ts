// Content duplicates across all layers and images: distinct inodes with the same size and xxh64,
// largest waste first. Hard links are one inode and never a duplicate. Pure.
import type { ContentHashes } from './content-hashes.js';
import { IdSet } from './id-table.js';
import type { DuplicateGroup, Duplicates } from './report.js';
import type { Entry } from './types.js';
import { CHUNK } from './chunks.js';

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

/** groupsOf's open-addressing table. */
interface SlotTable {
  mask: number;
  /** slot → 1 + the group's first file */
  head: Int32Array;
  /** file → 1 + the next file of its group */
  next: Int32Array;
  tail: Int32Array;
  count: Int32Array;
  /** the slots whose group has a second file, in the order that happened */
  firstSlots: number[];
}

/** Put files `from`..`to` into their groups' slots. */
function placeRange(files: Located[], los: Uint32Array, his: Uint32Array, t: SlotTable, from: number, to: number): void {
  const { mask, head, next, tail, count, firstSlots } = t;
  for (let i = from; i < to; i++) {
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
  const t: SlotTable = {
    mask: cap - 1, head: new Int32Array(cap), next: new Int32Array(n), tail: new Int32Array(cap), count: new Int32Array(cap), firstSlots: [],
  };
  // 1 024 files per call: this runs once a run, so one loop over the 118 800 files of the bench
  // root ran in the interpreter until on-stack replacement (callgrind: ~23 M instructions in its frame).
  for (let i = 0; i < n; i += CHUNK) placeRange(files, los, his, t, i, Math.min(n, i + CHUNK));
  const { head, next, firstSlots } = t;
  // A group's order is that of its first file, as a Map's insertion order gave it.
  firstSlots.sort((a, b) => head[a]! - head[b]!);
  return firstSlots.map((s) => {
    const first: Located[] = [];
    for (let f = head[s]!; f !== 0; f = next[f - 1]!) first.push(files[f - 1]!);
    return { size: first[0]!.entry.size, head: first[0]!, first };
  });
}

/** The files findDuplicates groups, their hashes' halves, the inodes taken and their bytes. */
interface Hashed {
  files: Located[];
  los: Uint32Array;
  his: Uint32Array;
  seen: IdSet;
  bytes: number;
}

/** Take up to CHUNK more files from `it`: the first name of each hashed inode. False when `it` is done. */
function takeHashed(it: Iterator<Located>, hashes: ContentHashes, h: Hashed): boolean {
  for (let k = 0; k < CHUNK; k++) {
    const r = it.next();
    if (r.done === true) return false;
    const { entry } = r.value;
    if (entry.type !== 'file' || !hashes.has(entry.id) || !h.seen.add(entry.id)) continue;
    h.bytes += entry.size;
    h.los[h.files.length] = hashes.lo(entry.id);
    h.his[h.files.length] = hashes.hi(entry.id);
    h.files.push(r.value);
  }
  return true;
}

// Only the first name of each hashed inode counts (give the files bottom layer first, so that name
// is in the layer that added the file); path strings are built only for the groups reported.
export function findDuplicates(files: Iterable<Located>, hashes: ContentHashes): Duplicates {
  const h: Hashed = { files: [], los: new Uint32Array(hashes.size), his: new Uint32Array(hashes.size), seen: new IdSet(), bytes: 0 };
  // 1 024 files per call, as in groupsOf (this loop too ran in the interpreter: ~38 M instructions).
  const it = files[Symbol.iterator]();
  for (let more = true; more; ) more = takeHashed(it, hashes, h);
  const { files: hashed, los, his, seen, bytes: hashedBytes } = h;
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
