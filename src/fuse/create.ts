// Creating and removing names in the upper the way the kernel does: the parent chain is copied
// up first; a new object replaces a whiteout atomically (built in workdir, renamed over it; a dir
// made over a whiteout is opaque); removing a name that a lower still has leaves a whiteout.
import { chmodSync, lchownSync, lstatSync, mkdirSync, renameSync, rmSync, rmdirSync, unlinkSync } from '../sys/fs-bytes.js';
import { dirname } from 'node:path';
import { ACL_ACCESS, ACL_DEFAULT, OPAQUE_YES, allowsOfflineChanges } from '../format/index.js';
import { type RenameFlag, getLayerXattr, rename2, setTimes, setXattr, timeFromNs, withUmask } from '../sys/index.js';
import { inheritAcl } from './acl-create.js';
import { copyUp, copyXattrs, upperPath } from './copy-up.js';
import { fail } from './errno.js';
import { splitPath } from './layers.js';
import { type Node, existsInLower, hasLowerPart, isDirStat, isWhiteoutAt, lookupChild, lstatOrNull } from './lookup.js';
import type { Overlay } from './overlay.js';
import { refuseNameIn } from './protect.js';
import { clearUpperTarMarker, refuseTarMarkerName, upperTarMarkerAt } from './tar-whiteouts.js';

const S_ISGID = 0o2000;

export interface NewObject {
  /** Create the object at `real` (a temp or its final place) with permission bits `mode`. */
  make(real: string, mode: number): void;
  isDir?: boolean;
  /** Give the object its creator's owner (false for link(), which adds a name to an existing inode). */
  chown?: boolean;
  /** The mode asked for (type bits optional); set-id bits are restored after the chown, which clears them. */
  mode?: number;
  /**
   * The caller's umask when `mode` arrived without it (FUSE_DONT_MASK): the new object then gets
   * its permissions as the upper filesystem gives them to a local caller, from the parent's
   * default ACL if it has one, else `mode` & ~umask (makeInPlace, makeInWorkdir). Undefined: `mode` is
   * final (the fuse-native transport's kernel applied the umask).
   */
  umask?: number;
  /**
   * Whether the object `make` created is already owned by `uid`:`gid` (create: one fstat of the
   * new fd, needed for its reply anyway), so the chown (a syscall, and an ATTRIB event for the
   * layer watcher) is skipped; the owner a root daemon gets by default is usually the caller's.
   */
  ownedBy?(uid: number, gid: number): boolean;
  /**
   * The caller's kernel holds a negative dentry for the name (FUSE sends CREATE for nothing else):
   * act on it as the kernel's overlay acts on its own, without searching the layers again. The
   * upper is still checked by the exclusive `make`; a lower name that appeared outside the mount
   * since the lookup is hidden by the new object, as under the kernel's overlay.
   */
  nameFree?: boolean;
}

/** uid and gid of a new object made by the caller in merged dir `parent`. */
export function newOwner(ovl: Overlay, parent: Node): [number, number] {
  const caller = ovl.caller();
  const pst = parent.hits[0]!.st;
  // A set-group-ID parent passes its group on, as in any Linux filesystem.
  return [caller.uid, Number(pst.mode) & S_ISGID ? Number(pst.gid) : caller.gid];
}

function finish(ovl: Overlay, parent: Node, real: string, obj: NewObject): void {
  if (obj.chown === false) return;
  const [uid, gid] = newOwner(ovl, parent);
  if (obj.ownedBy?.(uid, gid)) return;
  // The permission bits the filesystem gave (umask or default ACL applied), taken before the chown.
  const rwx = obj.mode === undefined || obj.umask === undefined ? obj.mode : lstatSync(real).mode & 0o777;
  lchownSync(real, uid, gid);
  if (obj.mode === undefined || rwx === undefined) return;
  // chown cleared any set-id bits, and a dir built in workdir did not inherit the parent's setgid.
  const setgid = obj.isDir && Number(parent.hits[0]!.st.mode) & S_ISGID ? S_ISGID : 0;
  if ((obj.mode & 0o6000) !== 0 || setgid) chmodSync(real, (obj.mode & 0o7000) | (rwx & 0o777) | setgid);
}

/** Create a new name at merged `path`; EEXIST when it exists. Returns the parent node. */
export function createAt(ovl: Overlay, path: string, obj: NewObject): Node {
  const [parentPath, name] = splitPath(path);
  refuseTarMarkerName(ovl, name, path);
  refuseNameIn(ovl, parentPath, path);
  const parent = copyUp(ovl, parentPath);
  if (!parent.isDir) fail('ENOTDIR', parentPath);
  if (!obj.nameFree && lookupChild(ovl, parent, name)) fail('EEXIST', path);
  const real = upperPath(ovl, path);
  // The name is free in the merged dir, so the upper holds nothing there or a whiteout: make the
  // object in place, and only when that finds something (EEXIST) look whether it is a whiteout
  // to replace. Saves the upper lstat the lookup above has just done on the usual path.
  if (!makeInPlace(real, obj, obj.mode ?? 0)) {
    const st = lstatOrNull(real);
    if (!st || !isWhiteoutAt(ovl, real, st)) fail('EEXIST', path);
    replaceWhiteout(ovl, parent, real, obj);
  } else {
    finish(ovl, parent, real, obj);
    // ovl_create_upper: a dir made in a merged parent is marked opaque, an optimisation the kernel
    // skips only when layers may change offline (so not with redirect_dir=on).
    if (obj.isDir && hasLowerPart(parent) && !allowsOfflineChanges(ovl.cfg)) {
      setXattr(real, ovl.xattrs.name('opaque'), OPAQUE_YES);
    }
  }
  // A dir made where an upper marker hid the name is opaque, as one made over a whiteout: the
  // marker hid any lower dir of the name, which must not merge in once it goes.
  if (obj.isDir && upperTarMarkerAt(ovl, real)) setXattr(real, ovl.xattrs.name('opaque'), OPAQUE_YES);
  clearUpperTarMarker(ovl, real);
  ovl.invalidate(path);
  return parent;
}

/** `obj.make(real)` under the caller's umask; false when something is already at `real`. */
function makeInPlace(real: string, obj: NewObject, mode: number): boolean {
  try {
    withUmask(obj.umask ?? 0, () => obj.make(real, mode));
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') return false;
    throw err;
  }
}

/** Build the object in workdir and rename it over the whiteout at `real`, atomically. */
function replaceWhiteout(ovl: Overlay, parent: Node, real: string, obj: NewObject): void {
  const tmp = ovl.tempPath();
  try {
    makeInWorkdir(tmp, real, obj);
    finish(ovl, parent, tmp, obj);
    if (obj.isDir) {
      // The new dir must hide the lower one the whiteout hid; a dir cannot replace a file by rename.
      setXattr(tmp, ovl.xattrs.name('opaque'), OPAQUE_YES);
      rename2(tmp, real, ['exchange']);
    } else renameSync(tmp, real);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  // The dir has the name now: the whiteout it traded places with is only cleaned up.
  if (obj.isDir) cleanupAside(tmp);
}

/**
 * Make the object at `tmp` in the work dir as it would have been made at `real`: there it would
 * inherit the upper parent's default ACL, which the work dir does not have, so that inheritance
 * is computed and set here, as ovl_create_over_whiteout does (posix_acl_create on the parent).
 * Without a default ACL, the caller's umask applies in either dir.
 */
function makeInWorkdir(tmp: string, real: string, obj: NewObject): void {
  const mode = obj.mode ?? 0;
  const parentDefault = obj.umask === undefined || obj.mode === undefined ? null : getLayerXattr(dirname(real), ACL_DEFAULT);
  const inherited = parentDefault && inheritAcl(parentDefault, obj.isDir ? mode | 0o040000 : mode);
  if (!inherited) {
    makeInPlace(tmp, obj, mode) || fail('EEXIST', tmp);
    return;
  }
  obj.make(tmp, inherited.mode & 0o7777);
  if (inherited.access) setXattr(tmp, ACL_ACCESS, inherited.access);
  if (inherited.default) setXattr(tmp, ACL_DEFAULT, inherited.default);
}

/**
 * ovl_cleanup of a non-dir a rename has just put aside (a whiteout traded for a dir, a removed
 * file moved into the work dir): the operation it ends is done, so a failed unlink leaves it where
 * it hides nothing, as the kernel's cleanup only warns. Thrown instead, it would answer an errno
 * for a mkdir, rename or unlink that has happened.
 */
export function cleanupAside(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone, no longer a file, or not removable: the work dir is cleared at the next mount.
  }
}

/**
 * Remove merged `path` (a file, or an empty dir whose upper copy holds the `whiteouts` its check
 * found: checkEmptyDir), leaving a whiteout if a lower has its name (`lower`).
 */
export function removeAt(ovl: Overlay, path: string, node: Node, whiteouts: readonly string[] = [], lowerName?: boolean): void {
  const [parentPath, name] = splitPath(path);
  const parent = copyUp(ovl, parentPath);
  // rmdir already asked; otherwise ask the copied-up parent, not a second lookup of it.
  const lower = lowerName ?? existsInLower(ovl, parent, name);
  const real = upperPath(ovl, path);
  if (node.hits[0]!.layer.upper) {
    // A dir whose copy holds whiteouts is first swapped for an empty opaque replica, made in the
    // work dir, and the old copy cleaned there (ovl_clear_empty, in both of the kernel's removals):
    // the replica needs an inode, so an upper out of them refuses this rmdir, as the kernel's.
    if (node.isDir && whiteouts.length > 0) clearEmptyDir(ovl, real, whiteouts);
    if (node.isDir && lower) {
      // ovl_cleanup_and_whiteout: a whiteout traded for the empty dir, which is removed in the work dir.
      removeDirCopy(putWhiteout(ovl, real, ['exchange']), []);
    } else if (node.isDir) {
      // ovl_remove_upper: the upper's own rmdir; an entry that appeared there since the check
      // makes it ENOTEMPTY and the dir stays, where a detour through the work dir would hide it.
      rmdirSync(real);
    } else if (lower) {
      // The whiteout renamed over the file, which goes with it.
      putWhiteout(ovl, real, []);
    } else unlinkSync(real);
  } else {
    // The kernel renames its whiteout over whatever is there (its dentry said nothing was); only a
    // name made in the upper beside the mount within the watcher's event round can be, and
    // NOREPLACE keeps it (EEXIST), as the mknod that made these whiteouts before did.
    putWhiteout(ovl, real, ['noreplace']);
  }
  ovl.invalidate(path);
}

/**
 * A whiteout from the work dir (links of the mount's shared one: whiteout.ts) renamed to `real`
 * with `flags`; unused if the rename fails. Made in the work dir, it inherits no default ACL of
 * the upper dir, as the kernel's. Returns the work-dir path, which holds what an exchange traded.
 */
function putWhiteout(ovl: Overlay, real: string, flags: readonly RenameFlag[]): string {
  const wh = ovl.whiteouts.inWorkdir();
  try {
    rename2(wh, real, flags);
  } catch (err) {
    ovl.whiteouts.discard(wh);
    throw err;
  }
  return wh;
}

/**
 * ovl_clear_empty: put an empty opaque replica of the upper dir at `real` (its xattrs, the
 * overlay's own markers left out, then its mode, owner and times, as ovl_set_attr) in its place
 * with RENAME_EXCHANGE, then clear the old copy, now in the work dir (removeDirCopy). The name
 * holds a dir throughout, so neither an observer beside the mount nor a crash at any step sees the
 * lower dir's names come back; a crash leaves only entries in the work dir, as the kernel's does.
 */
export function clearEmptyDir(ovl: Overlay, real: string, whiteouts: readonly string[]): void {
  const st = lstatOrNull(real);
  if (!st || !isDirStat(st)) fail('ESTALE', real);
  const tmp = ovl.tempPath();
  mkdirSync(tmp, { mode: 0o700 });
  try {
    copyXattrs(ovl, real, tmp);
    setXattr(tmp, ovl.xattrs.name('opaque'), OPAQUE_YES);
    chmodSync(tmp, st.mode & 0o7777);
    lchownSync(tmp, st.uid, st.gid);
    setTimes(tmp, timeFromNs(st.atimeNs), timeFromNs(st.mtimeNs));
    rename2(tmp, real, ['exchange']);
  } catch (err) {
    // As ovl_cleanup, a replica that cannot be removed only stays in the work dir.
    removeDirCopy(tmp, []);
    throw err;
  }
  removeDirCopy(tmp, whiteouts);
}

/**
 * Remove a removed dir's upper copy, moved to `tmp`, as the kernel's ovl_clear_empty and
 * ovl_cleanup do: unlink the `whiteouts` its emptiness check listed, by name (a merged dir's copy
 * holds one per lower name deleted through the mount; one rmdir then takes it, with no ENOTEMPTY
 * thrown and caught per dir, docs/fuse.md "Create, fifth pass"), and nothing else. Whatever else
 * the copy holds by then (an entry added to the upper beside the mount) stays in the work dir, as
 * the kernel leaves a copy whose rmdir failed, until the next mount clears the work dir.
 */
export function removeDirCopy(tmp: string, whiteouts: readonly string[]): void {
  for (const name of whiteouts) cleanupAside(`${tmp}/${name}`);
  try {
    rmdirSync(tmp);
  } catch {
    // Not empty: left in the work dir (prepareWorkdir clears it at the next mount).
  }
}
