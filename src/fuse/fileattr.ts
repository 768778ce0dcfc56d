// Inode flags (lsattr, chattr) through the mount, as the kernel's overlay keeps them:
// - read (ovl_fileattr_get): the flags of the object's real copy, the upper one where there is
//   one, plus the append-only and immutable flags an upper keeps in its `protattr` xattr instead
//   of on its inode (ovl_fileattr_prot_flags);
// - set (ovl_fileattr_set): the object is copied up, append-only and immutable go to `protattr`
//   (an upper inode with them could not be linked or given overlay xattrs), the rest onto the
//   upper inode;
// - copied up: fileattr-copy.ts.
// What those flags forbid, the daemon refuses itself (protect.ts).
import { closeSync } from 'node:fs';
import {
  type FileattrKind,
  fileattrOf,
  getXattr,
  openForFileattr,
  realFileattr,
  removeXattrOf,
  setFileattrOf,
  setXattr,
} from '../sys/index.js';
import { copyUp, upperPath } from './copy-up.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';
import { bitsToProtattr, protBits, protattrToBits } from './protattr-bits.js';


/** The flags word or struct fsxattr of merged `path` (a regular file or dir). */
export function mergedFileattr(ovl: Overlay, path: string, kind: FileattrKind): Buffer {
  const top = lookupPath(ovl, path).hits[0]!;
  const value = realFileattr(top.real, kind, !top.layer.upper);
  return top.layer.upper ? withProtattr(value, kind, getXattr(top.real, ovl.xattrs.name('protattr'))) : value;
}

/** The same for the real file open on `fd` (`upper`: an upper copy, which may hold a protattr). */
export function fileattrOnFd(ovl: Overlay, fd: number, upper: boolean, kind: FileattrKind): Buffer {
  const value = fileattrOf(fd, kind, `fd ${fd}`);
  return upper ? withProtattr(value, kind, getXattr(fd, ovl.xattrs.name('protattr'))) : value;
}

/** `value` with the append-only and immutable flags of protattr value `prot` added (ovl_fileattr_prot_flags). */
function withProtattr(value: Buffer, kind: FileattrKind, prot: Buffer | null): Buffer {
  // A flags word, or struct fsxattr, whose first member is fsx_xflags.
  value.writeUInt32LE((value.readUInt32LE(0) | protattrToBits(prot, kind)) >>> 0, 0);
  return value;
}

/**
 * chattr of merged `path` (FS_IOC_SETFLAGS with a flags word, FS_IOC_FSSETXATTR with a struct
 * fsxattr): copy up, write or remove `protattr` first, then set the other flags on the upper
 * copy. The caller's right to do it (owner, CAP_LINUX_IMMUTABLE for a and i) the kernel's VFS
 * checked before it sent the request.
 */
export function setMergedFileattr(ovl: Overlay, path: string, kind: FileattrKind, value: Buffer): void {
  const real = upperPath(ovl, copyUp(ovl, path).path);
  const fd = openForFileattr(real, false);
  try {
    setFileattrOnUpper(ovl, fd, kind, value, real);
  } finally {
    closeSync(fd);
    ovl.invalidate(path);
  }
}

/** The same on an upper file already open on `fd` (a handle whose name is gone). */
export function setFileattrOnUpper(ovl: Overlay, fd: number, kind: FileattrKind, value: Buffer, what: string): void {
  const { append, immutable } = protBits(kind);
  const word = value.readUInt32LE(0);
  const prot = bitsToProtattr(word, kind);
  const name = ovl.xattrs.name('protattr');
  if (prot !== null) setXattr(fd, name, prot);
  else removeXattrOf(fd, name, true);
  const rest = Buffer.from(value);
  rest.writeUInt32LE((word & ~(append | immutable)) >>> 0, 0);
  setFileattrOf(fd, kind, rest, what);
}
