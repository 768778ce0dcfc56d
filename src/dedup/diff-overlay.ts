// Reading an overlay2-style diff dir (overlay2 `diff/`, a container `upper/`, containers-storage
// `diff/`) as a list of changes: char 0/0 whiteouts and opaque directories, via the format module.
import { OverlayXattrs, isCharWhiteout, opaqueMeaning } from '../format/index.js';
import type { DiffItem, Entry, LayerScan } from './types.js';

const S_IFCHR = 0o020000;
const NAMESPACES = [new OverlayXattrs(false), new OverlayXattrs(true)];

export function isWhiteoutEntry(e: Entry): boolean {
  return e.type === 'char' && isCharWhiteout({ mode: S_IFCHR | e.perm, rdev: e.rdev });
}

/** An opaque marker in either namespace (`trusted.` for Docker, `user.` for rootless stores). */
export function isOpaqueEntry(e: Entry): boolean {
  if (e.type !== 'dir') return false;
  return NAMESPACES.some((ns) => {
    const v = e.xattrs.find(([n]) => n === ns.name('opaque'));
    return v !== undefined && opaqueMeaning(v[1]) === 'opaque';
  });
}

/** True for overlay-private xattrs (opaque, origin, impure, …) that a converted layer must not copy blindly. */
export function isOverlayPrivate(name: string): boolean {
  return NAMESPACES.some((ns) => ns.isPrivate(name));
}

export function overlayDiff(scan: LayerScan): DiffItem[] {
  return scan.entries.map((e) => {
    const whiteout = isWhiteoutEntry(e);
    return {
      path: e.path,
      whiteout,
      entry: e,
      opaque: isOpaqueEntry(e),
      reason: whiteout ? 'deleted' : 'added',
    };
  });
}
