// Append-only and immutable objects (chattr +a, +i). The kernel's overlay inode carries these
// flags (S_APPEND, S_IMMUTABLE), and its VFS refuses writes, truncates, attribute and xattr
// changes, renames, unlinks and links of such an inode, and names added to or taken from such a
// dir, before the overlay is asked (may_open, may_setattr, vfs_truncate, do_ftruncate,
// xattr_permission, may_delete, may_create, vfs_link, vfs_tmpfile, vfs_fallocate,
// generic_copy_file_checks). A FUSE inode carries no such flag on 6.18 (its client checks mode
// bits only), so the daemon refuses the same requests itself, EPERM, before any copy-up.
//
// The flags are those of the overlay inode as ovl_copyflags and ovl_check_protattr make them: the
// real top object's own (statx attributes: a lower file may be chattr'ed in its layer), and for an
// upper object also those its `protattr` xattr holds, where the kernel keeps them instead of on
// the upper inode (which must stay writable to the overlay itself).
//
// What the VFS decides on the FUSE inode without asking the daemon stays different (docs/fuse.md,
// "lsattr and chattr"): it checks these flags before the mode bits and a victim's type, so where
// the kernel's overlay answers EPERM the FUSE client may answer EACCES, EISDIR or ENOTDIR first;
// and it lets a MAP_SHARED mapping of an append-only file open for writing through.
import { constants } from 'node:fs';
import { FS_APPEND_FL, FS_IMMUTABLE_FL, getXattr } from '../sys/index.js';
import { fail } from './errno.js';
import { type Node, lookupOrNull } from './lookup.js';
import type { Overlay } from './overlay.js';
import { protattrToBits } from './protattr-bits.js';
import type { SetAttr } from './session/filesystem.js';

// The inode flag bits are also the STATX_ATTR_* bits of the same meaning.
const APPEND = FS_APPEND_FL;
const IMMUTABLE = FS_IMMUTABLE_FL;
const EITHER = APPEND | IMMUTABLE;
const O_ACCMODE = 3;
const FALLOC_FL_KEEP_SIZE = 1;
const { O_APPEND, O_RDONLY, O_TRUNC } = constants;

/** The append-only and immutable flags of merged object `node` (read once per node, kept on it). */
export function protOf(ovl: Overlay, node: Node): number {
  if (node.prot !== undefined) return node.prot;
  const top = node.hits[0]!;
  let prot = top.st.attributes & EITHER;
  // A dir's lookup read its protattr with its other markers; a file's is read now.
  if (top.layer.upper) prot |= protattrToBits(top.protattr !== undefined ? top.protattr : getXattr(top.real, ovl.xattrs.name('protattr')));
  node.prot = prot;
  return prot;
}

/** protOf for the upper file open on `fd` (a handle whose name may be gone): its protattr only. */
export function protOfUpperFd(ovl: Overlay, fd: number): number {
  return protattrToBits(getXattr(fd, ovl.xattrs.name('protattr')));
}

/**
 * may_open: write access or O_TRUNC to an immutable object; to an append-only one, write access
 * without O_APPEND, or O_TRUNC.
 */
export function refuseOpen(prot: number, flags: number, path: string): void {
  if (prot === 0) return;
  const write = (flags & O_ACCMODE) !== O_RDONLY;
  const trunc = (flags & O_TRUNC) !== 0;
  if (prot & IMMUTABLE && (write || trunc)) fail('EPERM', path);
  if (prot & APPEND && ((write && !(flags & O_APPEND)) || trunc)) fail('EPERM', path);
}

/**
 * may_setattr and the truncates: mode, owner or a time set to a given value on either; times set
 * to now (touch) on an immutable one; a size by path (truncate(2)) on either, through an open file
 * (ftruncate) on an append-only one. A SETATTR naming no field (chown(f, -1, -1)) passes.
 */
export function refuseSetattr(prot: number, set: SetAttr, path: string): void {
  if (prot === 0) return;
  // vfs_utimes: only utimensat(NULL) or both UTIME_NOW is a touch (ATTR_TOUCH); any other times,
  // `touch -a` (atime now, mtime omitted) included, are ATTR_TIMES_SET. The mtime a truncate
  // sends with its size is neither.
  const times = set.size === undefined && (set.atime !== undefined || set.mtime !== undefined);
  const touch = set.atime === 'now' && set.mtime === 'now';
  if (set.mode !== undefined || set.uid !== undefined || set.gid !== undefined || (times && !touch)) fail('EPERM', path);
  if (prot & IMMUTABLE && times) fail('EPERM', path);
  if (set.size !== undefined && (prot & APPEND || set.fh === undefined)) fail('EPERM', path);
}

/** vfs_link of a file open on `fd` (an O_TMPFILE given its name): none for either flag. */
export function refuseLinkOfUpperFd(ovl: Overlay, fd: number, path: string): void {
  if (protOfUpperFd(ovl, fd) & EITHER) fail('EPERM', path);
}

/**
 * vfs_fallocate (on an fd opened for writing before the flag was set): nothing on an immutable
 * file, only FALLOC_FL_KEEP_SIZE on an append-only one. generic_copy_file_checks: no
 * copy_file_range into an immutable file (an append-only one's fd has O_APPEND: EBADF already).
 */
export function refuseSpaceChange(prot: number, fallocMode: number | null, path: string): void {
  if (prot & IMMUTABLE) fail('EPERM', path);
  if (prot & APPEND && fallocMode !== null && fallocMode & ~FALLOC_FL_KEEP_SIZE) fail('EPERM', path);
}

/** xattr_permission for a set or removal (ACLs included). */
export function refuseXattrChange(prot: number, path: string): void {
  if (prot !== 0) fail('EPERM', path);
}

/** may_create: no name is added to an immutable dir. */
export function refuseCreateIn(ovl: Overlay, dir: Node, path: string): void {
  if (protOf(ovl, dir) & IMMUTABLE) fail('EPERM', path);
}

/** refuseCreateIn for the merged dir at `dirPath` when it is one (any other error is the caller's). */
export function refuseNameIn(ovl: Overlay, dirPath: string, path: string): void {
  const dir = lookupOrNull(ovl, dirPath);
  if (dir?.isDir) refuseCreateIn(ovl, dir, path);
}

/** may_delete: no name is taken from an immutable or append-only dir, nor from such an object. */
export function refuseDelete(ovl: Overlay, dir: Node, victim: Node, path: string): void {
  if (protOf(ovl, dir) & EITHER || protOf(ovl, victim) & EITHER) fail('EPERM', path);
}

/** vfs_link: an append-only or immutable object gets no new name. */
export function refuseLink(ovl: Overlay, node: Node, path: string): void {
  if (protOf(ovl, node) & EITHER) fail('EPERM', path);
}
