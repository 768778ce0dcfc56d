// Estimating what a layer would cost when written in the other layout, before writing it. Pure.
// Regular files and symlinks cost what their source inode costs (same bytes, same blocks);
// whiteouts, fifos and devices cost an inode and no block. Directories are the one thing a model
// must guess: ext4 (4 KiB blocks, metadata_csum) keeps a directory in one linear block while its
// entries fit, 24 B for `.`/`..` plus 8 B + the name rounded up to 4 per entry, in 4084 B (a 12 B
// checksum tail); past that it becomes an htree: one root block plus leaves that split at about
// three quarters full (calibrated here: 146 names of 20 B → 3 blocks, 300 → 4, 600 → 7).
import type { Counts, DiffItem, Entry } from './types.js';
import { IdTable } from './id-table.js';
import { parentPath, baseName } from './paths.js';
import { CHUNK } from './chunks.js';

const BLOCK = 4096;
const LINEAR_CAPACITY = 4084;
const LEAF_FILL = 3063;

/** Bytes of directory records for these names in an ext4 linear directory. */
export function dirRecordBytes(names: readonly string[]): number {
  let bytes = 24;
  for (const n of names) bytes += recordBytes(n);
  return bytes;
}

/** Bytes of one name's record in an ext4 directory block. */
export function recordBytes(name: string): number {
  return 8 + Math.ceil(Buffer.byteLength(name) / 4) * 4;
}

/** A source directory whose size we can reuse when the new one holds as many names. */
export interface DirSource {
  entry: Entry;
  childCount: number;
}

/** st_blocks (512 B units) of a freshly written directory holding `names`. */
export function dirBlocks(names: readonly string[], source?: DirSource): number {
  if (source && source.childCount === names.length) return source.entry.blocks;
  return blocksForRecords(dirRecordBytes(names));
}

/** dirBlocks from a running total: `count` names whose records take `bytes` (`.`/`..` included). */
export function dirBlocksOf(count: number, bytes: number, source?: DirSource): number {
  if (source && source.childCount === count) return source.entry.blocks;
  return blocksForRecords(bytes);
}

function blocksForRecords(bytes: number): number {
  if (bytes <= LINEAR_CAPACITY) return BLOCK / 512;
  const leaves = Math.max(2, Math.ceil((bytes - 24) / LEAF_FILL));
  return ((leaves + 1) * BLOCK) / 512;
}

/** Names per directory path ('' is the top dir) of a list of paths. */
export function childNames(paths: Iterable<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of paths) {
    const dir = parentPath(p);
    const list = out.get(dir);
    if (list) list.push(baseName(p));
    else out.set(dir, [baseName(p)]);
  }
  return out;
}

/**
 * Counts of one layer written as an overlay2-style diff: top dir + items, one inode per distinct
 * source inode among the layer's own items (in-layer hard links are kept, nothing is shared across
 * layers), one inode per whiteout. `sources` gives the source directories (by path) and their
 * child counts, so a directory written in full reuses the source's measured size.
 */
export function diffCounts(items: readonly DiffItem[], sources: Map<string, DirSource>): Counts {
  const names = childNames(items.map((i) => i.path));
  const seen = new IdTable();
  const c: Counts = { entries: items.length, inodes: 1, regularBytes: 0, diskBytes: 0, maxLinks: 0 };
  c.diskBytes += dirBlocks(names.get('') ?? [], sources.get('')) * 512;
  for (const item of items) {
    const e = item.entry;
    if (item.whiteout || e === null) {
      c.inodes++;
      c.maxLinks = Math.max(c.maxLinks, 1);
      continue;
    }
    if (e.type === 'file') {
      const links = seen.inc(e.id);
      c.maxLinks = Math.max(c.maxLinks, links);
      if (links > 1) continue;
      c.regularBytes += e.size;
      c.diskBytes += e.blocks * 512;
    } else if (e.type === 'dir') {
      c.diskBytes += dirBlocks(names.get(item.path) ?? [], sources.get(item.path)) * 512;
    } else {
      c.diskBytes += e.blocks * 512;
      c.maxLinks = Math.max(c.maxLinks, 1);
    }
    c.inodes++;
  }
  return c;
}

/** The parent of the entries counted last (null before the first) and how many of them there were. */
interface SiblingRun {
  dir: string | null;
  run: number;
}

function countRuns(entries: readonly Entry[], from: number, to: number, r: SiblingRun, counts: Map<string, number>): void {
  for (let i = from; i < to; i++) {
    const path = entries[i]!.path;
    const cut = path.lastIndexOf('/');
    const dir = r.dir;
    const same = dir !== null && (cut < 0 ? dir === '' : cut === dir.length && path.startsWith(dir));
    if (!same) {
      if (dir !== null) counts.set(dir, (counts.get(dir) ?? 0) + r.run);
      r.dir = cut < 0 ? '' : path.slice(0, cut);
      r.run = 0;
    }
    r.run++;
  }
}

/** Source directories of a scanned tree with their child counts, for `diffCounts`. */
export function dirSources(top: Entry, entries: readonly Entry[]): Map<string, DirSource> {
  const counts = new Map<string, number>();
  // Siblings mostly come one after another: count a run of them under one parent string, cut
  // (and hashed into the map) once per run, not once per entry. 1 024 entries per call: as one
  // loop per layer it ran in baseline code until on-stack replacement (~33 M instructions a run).
  const runs: SiblingRun = { dir: null, run: 0 };
  for (let i = 0; i < entries.length; i += CHUNK) countRuns(entries, i, Math.min(entries.length, i + CHUNK), runs, counts);
  if (runs.dir !== null) counts.set(runs.dir, (counts.get(runs.dir) ?? 0) + runs.run);
  const out = new Map<string, DirSource>([['', { entry: top, childCount: counts.get('') ?? 0 }]]);
  for (const e of entries) if (e.type === 'dir') out.set(e.path, { entry: e, childCount: counts.get(e.path) ?? 0 });
  return out;
}
