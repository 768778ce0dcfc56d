// Content duplicates across all layers and images: distinct inodes with the same size and xxh64,
// largest waste first. Hard links are one inode and never a duplicate. Pure.
import type { DuplicateGroup, Duplicates } from './report.js';
import type { Entry } from './types.js';

/** Paths listed per group in the report; the counts stay exact. */
export const MAX_GROUP_PATHS = 20;

export interface Located {
  entry: Entry;
  /** the layer dir relative to the data root; the entry's path is appended only for reported files */
  base: string;
}

export function findDuplicates(files: Iterable<Located>, hashes: Map<string, string>): Duplicates {
  const byKey = new Map<string, { size: number; hash: string; inodes: Set<string>; paths: string[] }>();
  let hashedBytes = 0;
  const hashedSeen = new Set<string>();
  for (const { entry, base } of files) {
    const hash = hashes.get(entry.inode);
    if (hash === undefined || entry.type !== 'file') continue;
    if (!hashedSeen.has(entry.inode)) {
      hashedSeen.add(entry.inode);
      hashedBytes += entry.size;
    }
    const key = `${entry.size}:${hash}`;
    let g = byKey.get(key);
    if (!g) byKey.set(key, (g = { size: entry.size, hash, inodes: new Set(), paths: [] }));
    // One path per inode: its other names are hard links, not copies.
    if (!g.inodes.has(entry.inode)) g.paths.push(`${base}/${entry.path}`);
    g.inodes.add(entry.inode);
  }
  const groups: DuplicateGroup[] = [];
  for (const g of byKey.values()) {
    if (g.inodes.size < 2) continue;
    groups.push({
      hash: g.hash,
      size: g.size,
      inodes: g.inodes.size,
      paths: g.paths.sort().slice(0, MAX_GROUP_PATHS),
      redundantBytes: (g.inodes.size - 1) * g.size,
    });
  }
  groups.sort((a, b) => b.redundantBytes - a.redundantBytes || a.hash.localeCompare(b.hash));
  return {
    hashedInodes: hashedSeen.size,
    hashedBytes,
    groups,
    redundantInodes: groups.reduce((n, g) => n + g.inodes - 1, 0),
    redundantBytes: groups.reduce((n, g) => n + g.redundantBytes, 0),
  };
}
