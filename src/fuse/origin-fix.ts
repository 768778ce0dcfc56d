// Origin bookkeeping the kernel does outside copy-up: a merged dir whose upper dir has no
// `origin` gets its top lower dir's handle at lookup, and its upper parent becomes impure
// (fs/overlayfs/namei.c ovl_lookup → ovl_fix_origin). Kept beside lookup so the on-disk upper
// matches the kernel's byte for byte in which xattrs exist.
import { IMPURE_YES } from '../format/index.js';
import { getXattr, hasXattr, setXattr } from '../sys/index.js';
import { originOf } from './inode.js';
import type { Hit, Node } from './lookup.js';
import type { Overlay } from './overlay.js';

/**
 * Set `impure=y` on an upper dir that now holds an object with an origin (as the kernel does);
 * true when it was not set before. `hit`, the dir's upper hit, remembers that it is set, as the
 * kernel's OVL_IMPURE inode flag does: a cached dir's hit lives until the dir is invalidated
 * (renamed, removed, changed in the layer), so the copy-ups into one dir read the xattr once.
 */
export function markImpure(ovl: Overlay, upperDir: string, hit?: Hit): boolean {
  if (hit && ovl.impureDirs.has(hit)) return false;
  const name = ovl.xattrs.name('impure');
  const set = getXattr(upperDir, name) === null;
  if (set) setXattr(upperDir, name, IMPURE_YES);
  if (hit) ovl.impureDirs.add(hit);
  return set;
}

/**
 * ovl_type_origin: the object came from a lower (copied up now or earlier) and keeps that lower's
 * inode. link and rename mark the new parent impure only then: not for a pure upper file without
 * an origin, nor for a lower hard link, which copy-up breaks (without index the kernel does not
 * hash it by its lower inode: ovl_hash_bylower, so OVL_CONST_INO is not set).
 */
export function hasOrigin(ovl: Overlay, node: Node): boolean {
  const top = node.hits[0]!;
  if (node.hits.length !== 1 || !top.layer.upper) return node.isDir || top.st.nlink === 1;
  return getXattr(top.real, ovl.xattrs.name('origin')) !== null;
}

/**
 * Whether looking up the dir with `hits` in `parentUpper` writes its origin (fixDirOrigin): an
 * upper dir that merges with a lower dir and carries no origin (not even the empty "unknown" one).
 */
export function lacksDirOrigin(ovl: Overlay, parentUpper: string | undefined, hits: readonly Hit[]): boolean {
  const [upper, lower] = hits;
  if (!upper?.layer.upper || !lower || parentUpper === undefined) return false;
  return !hasXattr(upper.real, ovl.xattrs.name('origin'));
}

/**
 * `hits` of the dir at merged `path` just looked up in `parentUpper`: store the lower dir's handle
 * when it lacks an origin. The kernel does this on every mount, ro included (its private upper
 * mount stays writable). The parent may have just become impure, which changes the d_ino its
 * listing shows: the node transport drops what the kernel cached of both (onCopyUp).
 */
export function fixDirOrigin(ovl: Overlay, path: string, parentUpper: string | undefined, hits: readonly Hit[]): void {
  if (!lacksDirOrigin(ovl, parentUpper, hits)) return;
  setXattr(hits[0]!.real, ovl.xattrs.name('origin'), originOf(ovl, hits[1]!.real, hits[1]!.st));
  const nowImpure = markImpure(ovl, parentUpper!);
  ovl.onCopyUp?.(path, nowImpure, false);
}
