// What a data root holds outside its layer dirs (image and layer metadata, containers/, network/,
// overlay2's l/ links, link/lower files, work/ dirs, orphaned dirs…), so the whole-root row of the
// report reconciles with `find DATA_ROOT | wc -l` and `du -s DATA_ROOT`. Read-only, like the scan.
import { lstatSync } from 'node:fs';
import { readDirents } from '../sys/index.js';
import type { WarningLog } from './read-meta.js';

export interface OutsideCounts {
  /** names outside the layer dirs, the data root itself and each layer dir's own name included */
  entries: number;
  /** distinct inodes outside the layer dirs (a layer dir's top inode belongs to the layer) */
  inodes: number;
  /** st_blocks × 512 of those inodes */
  diskBytes: number;
}

/**
 * Walk `root` without entering `layerDirs` (counted by the scan) or other filesystems (a running
 * container's merged/ mount): like `find -xdev` and `du -x`.
 */
export function scanOutside(root: string, layerDirs: ReadonlySet<string>, log: WarningLog): OutsideCounts {
  const seen = new Set<string>();
  const out: OutsideCounts = { entries: 0, inodes: 0, diskBytes: 0 };
  const count = (abs: string): { dir: boolean; dev: bigint } | null => {
    let st;
    try {
      st = lstatSync(abs, { bigint: true });
    } catch (err) {
      log.add(abs, `cannot stat: ${(err as { code?: string }).code ?? String(err)}`);
      return null;
    }
    out.entries++;
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.inodes++;
      out.diskBytes += Number(st.blocks) * 512;
    }
    return { dir: st.isDirectory(), dev: st.dev };
  };
  const top = count(root);
  if (!top) return out;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = readDirents(dir).map((d) => d.name);
    } catch (err) {
      log.add(dir, `cannot read directory: ${(err as { code?: string }).code ?? String(err)}`);
      continue;
    }
    for (const name of names) {
      const abs = `${dir}/${name}`;
      if (layerDirs.has(abs)) {
        out.entries++;
        continue;
      }
      const st = count(abs);
      if (st?.dir && st.dev === top.dev) stack.push(abs);
    }
  }
  return out;
}
