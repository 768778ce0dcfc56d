// Metacopy files (format/metacopy.ts) as lookup.ts meets them: whether a regular file is one (and
// when it is worth a getxattr to ask), where a data-only layer holds its data, and the st_blocks it
// shows. The search for its data below, which walks the layers as a lookup does, stays in lookup.ts.
import { parseMetacopy } from '../format/index.js';
import { type RealStat, getXattr, hasXattr, lstatRealOrNull } from '../sys/index.js';
import { fail } from './errno.js';
import { realChild } from './layers.js';
import type { Hit, Node } from './lookup.js';
import type { Overlay } from './overlay.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/**
 * Does the regular file at `real` carry a `metacopy` marker? A value the kernel refuses is EIO
 * ("invalid xattr"). ovl_lookup_single asks every regular file a lookup stops at, with metacopy
 * off too (such a file is then refused, not read as the zeros of its sparse copy); ovl-fuse asks
 * every one on a mount with `metacopy=on` or data-only layers (Overlay.anyMetacopy), and otherwise
 * one in a dir copy marked `impure` (where the kernel's copy-up of a file with an `origin` puts
 * it) or with fewer blocks than its size (a metacopy copy holds no data: one without `origin`, a
 * lower hard link's, carries one or two xattrs, which ext4 keeps in the inode). That getxattr is a
 * syscall of ~2 µs here, on every file a cold walk meets: 25 % more wall time for the bench's
 * cold walk when asked of every file (docs/fuse.md, "Metacopy and data-only layers"). Missed on a
 * mount without metacopy, and read as its sparse self where the kernel refuses it: a metacopy
 * file that is empty, or that holds an xattr block, in a dir without `impure` (made by hand, or a
 * hard link's copy with large xattrs).
 */
export function isMetacopy(ovl: Overlay, real: string): boolean {
  const name = ovl.xattrs.name('metacopy');
  if (!hasXattr(real, name)) return false;
  const value = getXattr(real, name);
  if (value === null) return false;
  if (parseMetacopy(value) === null) fail('EIO', `${real}: invalid metacopy xattr`);
  return true;
}

/**
 * The data file at absolute path `comps` in the first data-only layer holding one: a regular file,
 * reached without a symlink on the way (vfs_path_lookup with LOOKUP_BENEATH | LOOKUP_NO_SYMLINKS).
 */
export function dataOnlyHit(ovl: Overlay, comps: readonly string[]): Hit | null {
  for (const layer of ovl.stack.data) {
    let real = layer.via ?? layer.root;
    let st: RealStat | null = null;
    for (const comp of comps) {
      real = realChild(real, comp);
      st = lstatRealOrNull(real);
      if (st === null || (st.mode & S_IFMT) === S_IFLNK) break;
    }
    if (st !== null && (st.mode & S_IFMT) === S_IFREG) return { layer, real, st, opaque: 'none' };
  }
  return null;
}

/**
 * st_blocks of a merged regular file stat'ed as `st`: a metacopy file's are its data's
 * (ovl_getattr: the sparse copy holds none of them), or, with the data in a data-only layer not
 * yet opened, the kernel's guess from the size; any other file's its own.
 */
export function blocksOf(ovl: Overlay, node: Node, st: RealStat): number {
  if (node.dataOnly === 'missing' || (node.dataOnly === 'lazy' && !ovl.dataLoaded.has(node.path))) {
    const bs = BigInt(st.blksize || 4096);
    return Number((((st.size + bs - 1n) / bs) * bs) >> 9n);
  }
  return node.data ? node.data.st.blocks : st.blocks;
}
