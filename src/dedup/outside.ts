// What a data root holds outside its layer dirs (image and layer metadata, containers/, network/,
// overlay2's l/ links, link/lower files, work/ dirs, orphaned dirs…), so the whole-root row of the
// report reconciles with `find DATA_ROOT -xdev | wc -l`, `du -s -x DATA_ROOT` and `du -s -x --inodes
// DATA_ROOT`. Read-only, like the scan.
import { lstatSync } from '../sys/fs-bytes.js';
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

/** Of the `dev:ino` keys asked about, the ones some layer dir already counts. */
export type CountedInLayers = (keys: ReadonlySet<string>) => ReadonlySet<string>;

/**
 * Walk `root` without entering `layerDirs` (counted by the scan) or other filesystems (a running
 * container's merged/ mount): like `find -xdev` and `du -x`. A mount point is a name (find -xdev
 * lists it) but not an inode or blocks of this root (du -x skips it). A hard-linked inode that a
 * layer also names is not counted twice: the kernel's overlay links each whiteout it makes in an
 * upper to a shared one in work/work/ (`#NNN`), so a container whose layer deleted anything has one.
 */
export function scanOutside(root: string, layerDirs: ReadonlySet<string>, log: WarningLog, inLayers?: CountedInLayers): OutsideCounts {
  const seen = new Set<string>();
  // Hard-linked non-directories, by key: their blocks, in case a layer turns out to count them.
  const linked = new Map<string, number>();
  const out: OutsideCounts = { entries: 0, inodes: 0, diskBytes: 0 };
  let rootDev: bigint | undefined;
  const count = (abs: string): { dir: boolean; dev: bigint } | null => {
    let st;
    try {
      st = lstatSync(abs, { bigint: true });
    } catch (err) {
      log.add(abs, `cannot stat: ${(err as { code?: string }).code ?? String(err)}`);
      return null;
    }
    out.entries++;
    rootDev ??= st.dev;
    const key = `${st.dev}:${st.ino}`;
    if (st.dev === rootDev && !seen.has(key)) {
      seen.add(key);
      out.inodes++;
      out.diskBytes += Number(st.blocks) * 512;
      if (st.nlink > 1n && !st.isDirectory()) linked.set(key, Number(st.blocks) * 512);
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
  if (linked.size > 0 && inLayers) {
    for (const key of inLayers(new Set(linked.keys()))) {
      out.inodes--;
      out.diskBytes -= linked.get(key) ?? 0;
    }
  }
  return out;
}
