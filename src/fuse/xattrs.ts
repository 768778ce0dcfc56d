// Extended attributes of a merged path, shared by both transports: the overlay's own `<prefix>*`
// xattrs are hidden, and a user's `<prefix>X` is stored escaped as `<prefix>overlay.X` (both as
// the kernel does). Reading never copies up; setting or removing does.
import { getXattr, listXattrs, removeXattr, setXattr } from '../sys/index.js';
import { copyUp, upperPath } from './copy-up.js';
import { fail } from './errno.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

export function xattrGet(ovl: Overlay, path: string, name: string): Buffer {
  return xattrGetOrNull(ovl, path, name) ?? fail('ENODATA', path);
}

/** The value, or null when the merged object has no such attribute. */
export function xattrGetOrNull(ovl: Overlay, path: string, name: string): Buffer | null {
  return getXattr(lookupPath(ovl, path).hits[0]!.real, ovl.xattrs.escape(name));
}

/** The value on the real object open on `fd` (an upper file), or null when it has none. */
export function xattrGetOnFd(ovl: Overlay, fd: number, name: string): Buffer | null {
  return getXattr(fd, ovl.xattrs.escape(name));
}

export function xattrList(ovl: Overlay, path: string): string[] {
  return listXattrs(lookupPath(ovl, path).hits[0]!.real)
    .map((n) => ovl.xattrs.unescape(n))
    .filter((n): n is string => n !== null);
}

/** setxattr(2) with its XATTR_CREATE / XATTR_REPLACE flags. */
export function xattrSet(ovl: Overlay, path: string, name: string, value: Buffer, flags: number): void {
  const mode = flags & XATTR_CREATE ? 'create' : flags & XATTR_REPLACE ? 'replace' : 'any';
  setXattr(upperPath(ovl, copyUp(ovl, path).path), ovl.xattrs.escape(name), value, mode);
}

export function xattrRemove(ovl: Overlay, path: string, name: string): void {
  const stored = ovl.xattrs.escape(name);
  // Removing what a lower object does not have is ENODATA without a copy-up (ovl_xattr_set).
  const top = lookupPath(ovl, path).hits[0]!;
  if (!top.layer.upper && getXattr(top.real, stored) === null) fail('ENODATA', path);
  removeXattr(upperPath(ovl, copyUp(ovl, path).path), stored);
}
