// A private, detached copy of the one mount at a path (open_tree(2) with OPEN_TREE_CLONE and
// without AT_RECURSIVE), as the kernel's overlay takes of each layer (clone_private_mount): the
// same filesystem from the same dir down, but without the mounts on top of dirs inside it, so a
// path walked through the copy reaches the dir beneath a mount point. Attached nowhere and
// visible to no other process; it goes away with its fd and the last file opened through it.
import { closeSync } from 'node:fs';
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import { AT_EMPTY_PATH, AT_FDCWD, c } from './libc.js';
import { cPath } from '../format/byte-names.js';
import { heldDir, heldRest } from './held-path.js';

const OPEN_TREE_CLONE = 0x1;
const OPEN_TREE_CLOEXEC = 0o2000000;

/** An O_PATH fd on the root of a detached clone of the mount at `path`, submounts left out (needs CAP_SYS_ADMIN). */
export function cloneMount(path: string): number {
  return check(c.open_tree(AT_FDCWD, cPath(path), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC) as number, 'open_tree', path);
}

// <linux/mount.h>: the atime bits of struct mount_attr, and the mask that must be cleared to set one.
const MOUNT_ATTR_NOATIME = 0x10;
const MOUNT_ATTR__ATIME = 0x70;
const MOUNT_ATTR_NOSYMFOLLOW = 0x00200000;
/**
 * mount_setattr(2) setting the attribute bits `set` and clearing `clear` on the mount at `path`
 * (relative to `dirfd`; '' with AT_EMPTY_PATH for the mount `dirfd` itself): its raw return.
 */
function setMountAttr(dirfd: number, path: string | Buffer, flags: number, set: number, clear = 0): number {
  // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
  const attr = Buffer.alloc(32);
  attr.writeUInt32LE(set, 0);
  attr.writeUInt32LE(clear, 8);
  return c.mount_setattr(dirfd, path, flags, attr, attr.length) as number;
}

/** open_tree's refusals: no CAP_SYS_ADMIN over the mount (EPERM), a kernel without it (ENOSYS, EINVAL). */
const CLONE_REFUSED = ['EPERM', 'ENOSYS', 'EINVAL'].map(errnoNumber);

/**
 * cloneMount with atime updates off (MOUNT_ATTR_NOATIME), as the kernel's overlay takes each lower
 * layer's private mount (ovl_get_lower_layers sets MNT_NOATIME): nothing read through it stamps an
 * atime, readlink(2) included, which has no O_NOATIME. `noatime` false: the clone is made but the
 * kernel refused the attribute (no mount_setattr before 5.12, or a seccomp filter), so reads
 * through it stamp as through the layer itself.
 */
export function cloneMountNoatime(path: string): { fd: number; noatime: boolean } {
  const fd = cloneMount(path);
  const noatime = setMountAttr(fd, '', AT_EMPTY_PATH, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME) === 0;
  return { fd, noatime };
}

/**
 * A detached clone rooted at dir `path` (open_tree(2) OPEN_TREE_CLONE: a bind of that dir, its
 * submounts left out, attached nowhere) in which no path walk follows a symlink
 * (MOUNT_ATTR_NOSYMFOLLOW: one met on the way is ELOOP; readlink still reads it), and with
 * `noatime` nothing stamps an atime. The daemon reaches each layer through one, so that a dir
 * replaced by a symlink inside a layer while mounted never leads its root-run syscalls out of the
 * layer (submounts.ts placeLayers). Null when the kernel refuses the clone (EPERM: no
 * CAP_SYS_ADMIN over that mount; ENOSYS) or the attribute (before 5.12): the caller keeps plain
 * paths. Any other failure (EMFILE, ENOENT) is thrown.
 */
export function guardedClone(path: string, noatime: boolean): { fd: number; noatime: boolean } | null {
  // Only a refusal falls back to plain paths; anything else (EMFILE, ENOENT) fails the mount, not
  // the guard quietly.
  const rest = heldRest(path);
  const fd = checkUnless(c.open_tree(heldDir, cPath(rest), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC) as number, CLONE_REFUSED, 'open_tree', path);
  if (fd < 0) return null;
  if (noatime && setMountAttr(fd, '', AT_EMPTY_PATH, MOUNT_ATTR_NOSYMFOLLOW | MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME) === 0) return { fd, noatime };
  // Without noatime (a seccomp filter, an older kernel refusing the pair): the symlink guard alone.
  if (setMountAttr(fd, '', AT_EMPTY_PATH, MOUNT_ATTR_NOSYMFOLLOW) === 0) return { fd, noatime: false };
  closeSync(fd);
  return null;
}

/**
 * Stop the mount at `path` following symlinks in path lookups (MOUNT_ATTR_NOSYMFOLLOW, mount(8)'s
 * `nosymfollow`), for a mount made by a library that cannot pass the flag itself (libfuse 2.9,
 * whose mount(2) takes only the flags it knows and would hand `nosymfollow` to the kernel's FUSE
 * as an option it refuses).
 */
export function setNosymfollow(path: string): void {
  check(setMountAttr(AT_FDCWD, cPath(path), 0, MOUNT_ATTR_NOSYMFOLLOW), 'mount_setattr', path);
}
