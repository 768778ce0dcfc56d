// Test fixture for the file-space ops (fallocate, SEEK_DATA/SEEK_HOLE, copy_file_range, O_TMPFILE):
// the one lower layer both the overlay-core twin (test/fuse/core-space) and the mounted twin
// (test/fuse/new-ops) run them on, so the two tests exercise the same files.
import { fstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerDirs } from './layers.js';

/** A page: the unit fallocate and SEEK_DATA/SEEK_HOLE work in on ext4. */
export const K = 4096;

/**
 * In the first lower: `big` (16 pages of 'a', the file that gets holes), `src` (8 pages of 'b', a
 * copy source), `ro` (2 bytes, opened read-only) and the dir `ld` holding `gone`.
 */
export function spaceLayers(d: LayerDirs): void {
  const [l] = d.lowers as [string];
  writeFileSync(join(l, 'big'), Buffer.alloc(16 * K, 'a'));
  writeFileSync(join(l, 'src'), Buffer.alloc(8 * K, 'b'));
  writeFileSync(join(l, 'ro'), 'ro');
  mkdirSync(join(l, 'ld'));
  writeFileSync(join(l, 'ld/gone'), 'gone');
}

/** Size and allocated blocks of an open file: what fallocate and hole punching change. */
export function sizeAndBlocks(fd: number): { size: number; blocks: number } {
  const st = fstatSync(fd);
  return { size: st.size, blocks: st.blocks };
}
