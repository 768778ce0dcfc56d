// Scratch filesystems for a test's layers, made inside the test's own temp tree (layerDirs) and
// unmounted by that tree's teardown, also when the test fails: an ext4 image on a loop device
// (a link costs no inode; a fixed, small number of inodes), tmpfs (a link costs an inode; inode
// numbers from 2 on each), a kernel overlay (a lower that gives no file handles to decode).
// Each is mounted with mount(8), as a user would make it. (A bare temp dir with a tmpfs, for
// tests without layers: test/helpers/scratch.ts.)
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerDirs } from './layers.js';

/** The part of a LayerDirs these need: its temp dir, and its teardown's list of mounts. */
export type ScratchTree = Pick<LayerDirs, 'root' | 'track'>;

/** Make the dir `at` and mount on it with mount(8) `args`; registered first, so a half-made mount still goes. */
function mountAt(d: ScratchTree, at: string, args: string[]): string {
  mkdirSync(at);
  d.track(at);
  execFileSync('mount', [...args, at]);
  return at;
}

/** A new ext4 of `size` (truncate's units: '8M') on `at`, from the image `<at>.img` on a loop device; `inodes` as mkfs.ext4 -N. */
export function ext4At(d: ScratchTree, at: string, size: string, inodes?: number): string {
  const img = `${at}.img`;
  execFileSync('truncate', ['-s', size, img]);
  execFileSync('mkfs.ext4', ['-q', ...(inodes === undefined ? [] : ['-N', String(inodes)]), img]);
  return mountAt(d, at, ['-o', 'loop', img]);
}

/** A new tmpfs on `at`, with mount -o `options` ('size=4m,nr_inodes=64') or tmpfs's defaults. */
export function tmpfsAt(d: ScratchTree, at: string, options?: string): string {
  return mountAt(d, at, ['-t', 'tmpfs', ...(options === undefined ? [] : ['-o', options]), 'tmpfs']);
}

/**
 * A kernel overlay on `<root>/k` over new dirs `x` (lower, filled by `lower` first), `y` (upper)
 * and `w` (work) beside it: mounted without nfs_export, its files give no handles to decode.
 */
export function kernelOverlayAt(d: ScratchTree, lower: (x: string) => void = () => undefined): string {
  const [x, y, w] = ['x', 'y', 'w'].map((n) => join(d.root, n)) as [string, string, string];
  for (const p of [x, y, w]) mkdirSync(p);
  lower(x);
  return mountAt(d, join(d.root, 'k'), ['-t', 'overlay', 'overlay', '-o', `lowerdir=${x},upperdir=${y},workdir=${w}`]);
}
