// Origin bookkeeping the kernel does outside copy-up: a merged dir whose upper dir has no
// `origin` gets its top lower dir's handle at lookup, and its upper parent becomes impure
// (fs/overlayfs/namei.c ovl_lookup → ovl_fix_origin). Kept beside lookup so the on-disk upper
// matches the kernel's byte for byte in which xattrs exist.
import { IMPURE_YES } from '../format/index.js';
import { fileHandle } from '../sys/handle.js';
import { getXattr, hasXattr, setXattr } from '../sys/index.js';
import { encodeOrigin } from './inode.js';
import type { Hit } from './lookup.js';
import type { Overlay } from './overlay.js';

/** Set `impure=y` on an upper dir that now holds an object with an origin (as the kernel does). */
export function markImpure(ovl: Overlay, upperDir: string): void {
  const name = ovl.xattrs.name('impure');
  if (getXattr(upperDir, name) === null) setXattr(upperDir, name, IMPURE_YES);
}

/**
 * `hits` of a dir just looked up in `parentUpper`: when the upper dir merges with a lower dir and
 * carries no origin (not even the empty "unknown" one), store the lower dir's handle. The kernel
 * does this on every mount, ro included (its private upper mount stays writable).
 */
export function fixDirOrigin(ovl: Overlay, parentUpper: string | undefined, hits: readonly Hit[]): void {
  const [upper, lower] = hits;
  if (!upper?.layer.upper || !lower || parentUpper === undefined) return;
  const name = ovl.xattrs.name('origin');
  if (hasXattr(upper.real, name)) return;
  setXattr(upper.real, name, encodeOrigin(fileHandle(lower.real)));
  markImpure(ovl, parentUpper);
}
