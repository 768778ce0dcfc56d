// What d_ino a merged listing shows for each entry, as a name that does not depend on the layer
// copy (side-by-side tests compare kernel and ovl-fuse on separate copies of the layers).
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { listDirents } from '../../src/sys/index.js';
import type { LayerDirs } from './layers.js';

/**
 * Each entry of merged `dir`: its d_ino as its st_ino, the upper's real inode, or neither (an
 * xattr whiteout a listing shows has no st_ino: its lstat is ENOENT).
 */
export function dInoKinds(m: string, d: LayerDirs, dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of listDirents(join(m, dir))) {
    if (e.name === '.' || e.name === '..') continue;
    const st = lstatSync(join(m, dir, e.name), { throwIfNoEntry: false, bigint: true })?.ino;
    if (st === undefined) {
      out[e.name] = 'listed, lstat ENOENT';
      continue;
    }
    const real = lstatSync(join(d.upper, dir, e.name), { throwIfNoEntry: false, bigint: true })?.ino;
    out[e.name] = e.ino === st ? 'st_ino' : e.ino === real ? 'upper real inode' : 'other';
  }
  return out;
}
