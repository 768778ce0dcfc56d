// Extended attributes of a merged path, shared by both transports: the overlay's own `<prefix>*`
// xattrs are hidden, and a user's `<prefix>X` is stored escaped as `<prefix>overlay.X` (both as
// the kernel does). Reading never copies up; setting or removing does.
import { fchmodSync } from 'node:fs';
import { chmodSync, lstatSync } from '../sys/fs-bytes.js';
import { type SetMode, fstatReal, getLayerXattr, getXattr, listXattrsSized, removeXattr, removeXattrOf, setXattr } from '../sys/index.js';
import { ACL_ACCESS, isAcl } from '../format/index.js';
import { type Owner, mayListTrusted } from './caller-creds.js';
import { copyUpChecked, upperPath } from './copy-up.js';
import { fail } from './errno.js';
import { type Hit, lookupPath } from './lookup.js';
import { protOf, protOfUpperFd, refuseXattrChange } from './protect.js';
import type { Overlay } from './overlay.js';
import type { XattrNames } from './session/filesystem.js';

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;
const S_ISGID = 0o2000;

/**
 * The name stored in the upper for `name` given through the mount (ovl.xattrs.escape). The bare
 * prefix (`trusted.overlay.`, or `user.overlay.` with `userxattr`) names nothing: the VFS matches
 * it to the kernel overlay's own prefix handler with nothing after it and answers EINVAL
 * (xattr_resolve_name), before any copy-up.
 */
function storedName(ovl: Overlay, name: string, where: string): string {
  if (name === ovl.xattrs.prefix) fail('EINVAL', where);
  return ovl.xattrs.escape(name);
}

export function xattrGet(ovl: Overlay, path: string, name: string): Buffer {
  return xattrGetOrNull(ovl, path, name) ?? fail('ENODATA', path);
}

/** The value, or null when the merged object has no such attribute. */
export function xattrGetOrNull(ovl: Overlay, path: string, name: string): Buffer | null {
  return readOf(name)(lookupPath(ovl, path).hits[0]!.real, storedName(ovl, name, path));
}

/** The value on the real object open on `fd` (an upper file), or null when it has none. */
export function xattrGetOnFd(ovl: Overlay, fd: number, name: string): Buffer | null {
  return readOf(name)(fd, storedName(ovl, name, `fd ${fd}`));
}

/**
 * An ACL set on a lower object (`top`) whose filesystem keeps no ACLs is EOPNOTSUPP, before any
 * copy-up: ovl_set_acl asks the real inode's set_acl, not the upper's (a squashfs lower, for one).
 */
function refuseAclOfLowerWithout(top: Hit, name: string): void {
  if (!top.layer.upper) getXattr(top.real, name);
}

/**
 * How to read `name`: a POSIX ACL of an object on a filesystem that keeps none is no ACL (the
 * kernel's overlay asks get_inode_acl, which answers NULL for such an inode), not EOPNOTSUPP: the
 * kernel's FUSE client checks a caller's access against the ACL it gets and would fail the access
 * with that error. Any other attribute's EOPNOTSUPP goes to the caller, as the kernel's does.
 */
function readOf(name: string): typeof getXattr {
  return isAcl(name) ? getLayerXattr : getXattr;
}

/**
 * Every xattr the merged object `node` shows (its top copy's), by its visible name (the overlay's
 * own hidden, escaped ones unescaped), with its value: what a removed dir keeps (removed-dirs.ts).
 */
export function xattrSnapshot(ovl: Overlay, node: { hits: readonly Hit[] }): Map<string, Buffer> {
  const real = node.hits[0]!.real;
  const out = new Map<string, Buffer>();
  for (const stored of listXattrsSized(real).names) {
    const name = ovl.xattrs.unescape(stored);
    if (name === null) continue;
    const value = readOf(name)(real, stored);
    if (value !== null) out.set(name, value);
  }
  return out;
}

/** The names a removed dir shows (listXattrs of removed-dirs.ts) to this caller: trusted.* as xattrList filters them. */
export function shownXattrNames(ovl: Overlay, list: XattrNames): XattrNames {
  if (!list.names.some(isTrusted) || mayListTrusted(ovl.caller())) return list;
  return { names: list.names.filter((n) => !isTrusted(n)), realSize: list.realSize };
}

/**
 * The names a merged path (or the real object open as an fd number) shows, the overlay's own
 * hidden, and trusted.* ones too unless the caller holds CAP_SYS_ADMIN (ovl_can_list; asked only
 * when there is such a name); and `realSize`, the bytes of the real object's whole list, hidden
 * names included. ovl_listxattr lists the real object into the caller's buffer before it filters:
 * a size-0 probe answers that size, and a buffer smaller than it is ERANGE even where the shown
 * names would fit (checked on 6.18; found by differential fsstress, docs/testing.md).
 */
export function xattrList(ovl: Overlay, at: string | number): XattrNames {
  const { names: real, bytes: realSize } = listXattrsSized(typeof at === 'number' ? at : lookupPath(ovl, at).hits[0]!.real);
  const names = real.map((n) => ovl.xattrs.unescape(n)).filter((n): n is string => n !== null);
  if (!names.some(isTrusted) || mayListTrusted(ovl.caller())) return { names, realSize };
  return { names: names.filter((n) => !isTrusted(n)), realSize };
}

const isTrusted = (name: string) => name.startsWith('trusted.');

/** Whether an access ACL set by this caller on a file of `owner` clears set-group-ID (not in its group, not privileged over it). */
export type KillSgid = (owner: Owner) => boolean;

/**
 * setxattr(2) with its XATTR_CREATE / XATTR_REPLACE flags. `killSgid` (the kernel's
 * FUSE_SETXATTR_ACL_KILL_SGID: the caller is neither in the file's group nor privileged): an
 * access ACL set clears the set-group-ID bit first, as ovl_set_or_remove_acl does with an
 * ATTR_KILL_SGID setattr, since the upper's own set_acl runs with the daemon's privileges.
 * The fuse-native transport, whose libfuse gets no such flag, asks the caller's groups instead.
 */
export function xattrSet(ovl: Overlay, path: string, name: string, value: Buffer, flags: number, killSgid: boolean | KillSgid = false): void {
  const mode = setMode(flags);
  const stored = storedName(ovl, name, path);
  // Refused before any copy-up, on the node the copy-up looks up itself.
  const copied = copyUpChecked(ovl, path, (node) => {
    refuseXattrChange(protOf(ovl, node), path);
    if (isAcl(name)) refuseAclOfLowerWithout(node.hits[0]!, name);
  });
  const real = upperPath(ovl, copied.path);
  if (name !== ACL_ACCESS) return setXattr(real, stored, value, mode);
  try {
    if (killSgid !== false) dropSgidIf(real, outsideOf(killSgid));
    setXattr(real, stored, value, mode);
  } finally {
    // An access ACL sets the group bits to its mask, and dropSgidIf may have cleared set-group-ID
    // even when the set then failed (as the kernel's does).
    ovl.restatDir(path);
  }
}

/**
 * xattrSet and xattrRemove on the upper file open as `fd`, for a node whose name is gone (unlinked,
 * or an O_TMPFILE not linked yet): the kernel's overlay changes the upper inode it holds (ovl_xattr_set
 * on it needs no copy-up), where the path would be ENOENT. `value` null: a removal.
 */
export function xattrChangeOnFd(ovl: Overlay, fd: number, name: string, value: Buffer | null, flags: number, killSgid: boolean | KillSgid = false): void {
  const stored = storedName(ovl, name, `fd ${fd}`);
  refuseXattrChange(protOfUpperFd(ovl, fd), `fd ${fd}`);
  if (name === ACL_ACCESS && killSgid !== false) dropSgidIf(fd, outsideOf(killSgid));
  if (value === null) return removeXattrOf(fd, stored);
  setXattr(fd, stored, value, setMode(flags));
}

/** setxattr(2)'s XATTR_CREATE / XATTR_REPLACE flags as setXattr's mode. */
const setMode = (flags: number): SetMode => (flags & XATTR_CREATE ? 'create' : flags & XATTR_REPLACE ? 'replace' : 'any');

/** A `killSgid` that is not false, as the test of a file's group (true: any group). */
const outsideOf = (killSgid: true | KillSgid): KillSgid => (killSgid === true ? () => true : killSgid);

/**
 * Clear set-group-ID of the upper object (its path, or the fd it is open as) if it has it and the
 * caller is `outside` its group (asked only then: it may read /proc).
 */
function dropSgidIf(real: string | number, outside: KillSgid): void {
  const st = typeof real === 'number' ? fstatReal(real) : lstatSync(real);
  if (!(st.mode & S_ISGID) || !outside(st)) return;
  const mode = st.mode & 0o7777 & ~S_ISGID;
  if (typeof real === 'number') fchmodSync(real, mode);
  else chmodSync(real, mode);
}

/**
 * removexattr(2). `inGroup` (the /dev/fuse transport's in_group_or_capable for the caller): an
 * access ACL removed by a caller neither in the file's group nor privileged clears the
 * set-group-ID bit first, as ovl_set_or_remove_acl does for a removal too (the kernel's FUSE
 * client sends no flag for it, unlike a set).
 */
export function xattrRemove(ovl: Overlay, path: string, name: string, inGroup?: (owner: Owner) => boolean): void {
  const stored = storedName(ovl, name, path);
  const copied = copyUpChecked(ovl, path, (node) => {
    refuseXattrChange(protOf(ovl, node), path);
    const top = node.hits[0]!;
    if (isAcl(name)) refuseAclOfLowerWithout(top, name);
    // Removing what a lower object does not have is ENODATA without a copy-up (ovl_xattr_set).
    if (!top.layer.upper && getXattr(top.real, stored) === null) fail('ENODATA', path);
  });
  const real = upperPath(ovl, copied.path);
  if (name !== ACL_ACCESS) return removeXattr(real, stored);
  try {
    if (inGroup) dropSgidIf(real, (owner) => !inGroup(owner));
    removeXattr(real, stored);
  } finally {
    ovl.restatDir(path);
  }
}
