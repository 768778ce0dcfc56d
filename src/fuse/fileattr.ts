// lsattr through the mount (FS_IOC_GETFLAGS / FS_IOC_FSGETXATTR), as the kernel's overlay answers
// it (ovl_fileattr_get): the flags of the object's real copy, the upper one where there is one,
// plus the append-only and immutable flags an upper keeps in its `protattr` xattr instead of on
// its inode (ovl_fileattr_prot_flags). Setting flags (chattr) is not supported: the daemon would
// also have to refuse every write, rename and unlink of such an object itself, as the kernel's VFS
// does for an inode it knows is immutable, and a FUSE inode carries no such flag (docs/fuse.md).
import { parseProtattr } from '../format/index.js';
import { type FileattrKind, fileattrOf, getXattr, realFileattr } from '../sys/index.js';
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
  return top.layer.upper ? withProtattr(value, kind, getXattr(top.real, ovl.xattrs.name('protattr'))) : value;
}

/** The same for the real file open on `fd` (`upper`: an upper copy, which may hold a protattr). */
export function fileattrOnFd(ovl: Overlay, fd: number, upper: boolean, kind: FileattrKind): Buffer {
  const value = fileattrOf(fd, kind, `fd ${fd}`);
  return upper ? withProtattr(value, kind, getXattr(fd, ovl.xattrs.name('protattr'))) : value;
}

/** `value` with the append-only and immutable flags of protattr value `prot` added (ovl_fileattr_prot_flags). */
function withProtattr(value: Buffer, kind: FileattrKind, prot: Buffer | null): Buffer {
  const p = parseProtattr(prot);
  // A flags word, or struct fsxattr, whose first member is fsx_xflags.
  const append = kind === 'flags' ? FS_APPEND_FL : FS_XFLAG_APPEND;
  const immutable = kind === 'flags' ? FS_IMMUTABLE_FL : FS_XFLAG_IMMUTABLE;
  value.writeUInt32LE((value.readUInt32LE(0) | (p.append ? append : 0) | (p.immutable ? immutable : 0)) >>> 0, 0);
  return value;
}
