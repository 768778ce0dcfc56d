// `-o aufs_whiteouts`: the layer-tar (AUFS/OCI) whiteouts in the layers, read as fuse-overlayfs
// reads them. Docker's fuse-overlayfs storage driver unpacks every image layer with them (a file
// `.wh.NAME` for a deletion, `.wh..wh..opq` for a dir replaced whole) and mounts the layers with
// `fuse-overlayfs -o lowerdir=…`; the kernel's overlay, and ovl-fuse by default, take those for
// plain files, so a file deleted in an image came back in every container of it (found running
// dockerd 20.10 with ovl-fuse as its mount program, 2026-12-07). With the option, in each layer:
// - `.wh.NAME` ends the lookup of NAME there, before NAME itself (a layer holding both hides it);
// - a dir holding `.wh..wh..opq` is opaque, as one marked with the opaque xattr;
// - no name starting with `.wh.` is looked up, listed or made (EINVAL, as fuse-overlayfs).
// What ovl-fuse writes is unchanged: the kernel's whiteouts and opaque xattrs.
import { TAR_OPAQUE_NAME, TAR_WHITEOUT_PREFIX, tarWhiteoutName } from '../format/index.js';
import { errnoCodeOf } from '../errors.js';
import { lstatRealOrNull } from '../sys/index.js';
import { unlinkSync } from '../sys/fs-bytes.js';
import { shortPath } from '../sys/long-path.js';
import { fail } from './errno.js';
import type { Overlay } from './overlay.js';

/** A name the option hides: it is a layer-tar marker, never a file of the overlay. */
export function isTarMarkerName(ovl: Overlay, name: string): boolean {
  return ovl.cfg.aufsWhiteouts === true && name.startsWith(TAR_WHITEOUT_PREFIX);
}

/** A new name (create, mkdir, link, rename's target…) the option refuses: EINVAL, as fuse-overlayfs. */
export function refuseTarMarkerName(ovl: Overlay, name: string, path: string): void {
  if (isTarMarkerName(ovl, name)) fail('EINVAL', path);
}

/** Whether the layer dir holding `real` (a candidate child path) also holds `.wh.` + its name. */
export function tarWhiteoutBeside(real: string): boolean {
  return presentAt(markerBeside(real));
}

/** The path of `.wh.` + the last name of `real`, beside it. */
function markerBeside(real: string): string {
  const slash = real.lastIndexOf('/');
  return real.slice(0, slash + 1) + tarWhiteoutName(real.slice(slash + 1));
}

/** Whether the layer dir `real` holds the layer-tar opaque marker. */
export function tarOpaqueIn(real: string): boolean {
  return presentAt(real + '/' + TAR_OPAQUE_NAME);
}

/** Whether the option is on and the upper dir holding `real` has its `.wh.` marker. */
export function upperTarMarkerAt(ovl: Overlay, real: string): boolean {
  return ovl.cfg.aufsWhiteouts === true && tarWhiteoutBeside(real);
}

/**
 * A name just made or moved into the upper at `real`: a `.wh.` marker of it there (an upper
 * fuse-overlayfs wrote where it could not mknod) would hide it, so it goes, as fuse-overlayfs's
 * delete_whiteout removes it.
 */
export function clearUpperTarMarker(ovl: Overlay, real: string): void {
  if (ovl.cfg.aufsWhiteouts !== true) return;
  try {
    unlinkSync(shortPath(markerBeside(real)));
  } catch (err) {
    const code = errnoCodeOf(err);
    if (code !== 'ENOENT' && code !== 'ENAMETOOLONG') throw err;
  }
}

/** lstat succeeds; a path that cannot lead anywhere (a file on the way, a name too long) is absent, as fuse-overlayfs takes it. */
function presentAt(path: string): boolean {
  try {
    return lstatRealOrNull(shortPath(path)) !== null;
  } catch (err) {
    const code = errnoCodeOf(err);
    if (code === 'ENOTDIR' || code === 'ENAMETOOLONG') return false;
    throw err;
  }
}
