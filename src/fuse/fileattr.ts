// lsattr through the mount (FS_IOC_GETFLAGS / FS_IOC_FSGETXATTR), as the kernel's overlay answers
// it (ovl_fileattr_get): the flags of the object's real copy, the upper one where there is one,
// plus the append-only and immutable flags an upper keeps in its `protattr` xattr instead of on
// its inode (ovl_fileattr_prot_flags). Setting flags (chattr) is not supported: the daemon would
// also have to refuse every write, rename and unlink of such an object itself, as the kernel's VFS
// does for an inode it knows is immutable, and a FUSE inode carries no such flag (docs/fuse.md).
import { parseProtattr } from '../format/index.js';
import { type FileattrKind, getXattr, realFileattr } from '../sys/index.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';

const FS_APPEND_FL = 0x20;
const FS_IMMUTABLE_FL = 0x10;
const FS_XFLAG_IMMUTABLE = 0x8;
const FS_XFLAG_APPEND = 0x10;

/** The flags word or struct fsxattr of merged `path` (a regular file or dir). */
export function mergedFileattr(ovl: Overlay, path: string, kind: FileattrKind): Buffer {
  const top = lookupPath(ovl, path).hits[0]!;
  const value = realFileattr(top.real, kind, !top.layer.upper);
  if (!top.layer.upper) return value;
  const prot = parseProtattr(getXattr(top.real, ovl.xattrs.name('protattr')));
  if (kind === 'flags') {
    value.writeUInt32LE((value.readUInt32LE(0) | (prot.append ? FS_APPEND_FL : 0) | (prot.immutable ? FS_IMMUTABLE_FL : 0)) >>> 0, 0);
  } else {
    // struct fsxattr: fsx_xflags is its first member.
    value.writeUInt32LE((value.readUInt32LE(0) | (prot.append ? FS_XFLAG_APPEND : 0) | (prot.immutable ? FS_XFLAG_IMMUTABLE : 0)) >>> 0, 0);
  }
  return value;
}
