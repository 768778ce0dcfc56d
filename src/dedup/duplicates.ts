// Content duplicates across all layers and images: distinct inodes with the same size and xxh64,
// largest waste first. Hard links are one inode and never a duplicate. Pure.
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
class Group {
  constructor(
    readonly size: number,
    readonly hash: string,
    readonly first: Located[],
  ) {}
}

/**
 * File `l` into its group. Key: the hash alone, unless another size already holds it (an xxh64
 * collision). A hash seen once holds just its file: most hashed files have no copy, and a group
 * object and array for each of them were most of this pass's garbage.
 */
function addTo(byKey: Map<string, Group | Located>, size: number, hash: string, l: Located): void {
  let key = hash;
  let slot = byKey.get(key);
  if (slot !== undefined && (slot instanceof Group ? slot.size : slot.entry.size) !== size) {
    key = `${size}:${hash}`;
    slot = byKey.get(key);
  }
  if (slot === undefined) byKey.set(key, l);
  else if (slot instanceof Group) slot.first.push(l);
  else byKey.set(key, new Group(size, hash, [slot, l]));
}

// Only the first name of each hashed inode counts (give the files bottom layer first, so that name
// is in the layer that added the file); path strings are built only for the groups reported.
export function findDuplicates(files: Iterable<Located>, hashes: Map<number, string>): Duplicates {
  const byKey = new Map<string, Group | Located>();
  const seen = new IdSet();
  let hashedBytes = 0;
  for (const located of files) {
    const { entry } = located;
    if (entry.type !== 'file' || seen.has(entry.id)) continue;
    const hash = hashes.get(entry.id);
    if (hash === undefined) continue;
    seen.add(entry.id);
    hashedBytes += entry.size;
    addTo(byKey, entry.size, hash, located);
  }
  const groups: DuplicateGroup[] = [];
  for (const g of byKey.values()) {
    if (!(g instanceof Group)) continue;
    const named = g.first.map((l) => ({ root: `${l.base}/${l.entry.path}`, layer: l.layer ?? '', path: l.entry.path }));
    const listed = named.slice(0, MAX_GROUP_PATHS);
    groups.push({
      hash: g.hash,
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
