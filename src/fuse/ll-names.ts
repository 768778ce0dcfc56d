// Name requests of the node-based transport (LOOKUP, MKNOD, MKDIR, SYMLINK, LINK, UNLINK, RMDIR,
// RENAME2): resolve node ids to merged paths, run the path-based core, then keep the node table
// and the kernel's caches in step with what changed.
import type { NodeRec } from './node-table.js';
import type { LlCore } from './ll-core.js';
import { lookupOrNull } from './lookup.js';
import { linkAt, mkdirAt, mknodAt, rmdirAt, symlinkAt, unlinkAt } from './names.js';
import { RENAME_EXCHANGE, moveHandlesAfterRename, renameMerged } from './rename.js';
import type { Entry } from './session/filesystem.js';

/** LOOKUP (also each READDIRPLUS entry, which the loop looks up without a request of its own). */
export function lookupEntry(core: LlCore, parent: number, name: string): Entry {
  const prec = core.rec(parent);
  const node = core.takePrefetched(parent, name) ?? lookupOrNull(core.ovl, core.childPathOf(prec, name));
  if (node) return core.entry(prec, name, node);
  core.links.gone(prec, name);
  return core.negative(prec, name);
}

export function mknodEntry(core: LlCore, parent: number, name: string, mode: number, rdev: number, umask: number): Entry {
  const prec = core.rec(parent);
  mknodAt(core.ovl, core.childPathOf(prec, name), mode, rdev, umask);
  return core.created(prec, name);
}

export function mkdirEntry(core: LlCore, parent: number, name: string, mode: number, umask: number): Entry {
  const prec = core.rec(parent);
  mkdirAt(core.ovl, core.childPathOf(prec, name), mode, umask);
  return core.created(prec, name);
}

export function symlinkEntry(core: LlCore, parent: number, name: string, target: Buffer): Entry {
  const prec = core.rec(parent);
  symlinkAt(core.ovl, core.childPathOf(prec, name), target);
  return core.created(prec, name);
}

export function linkEntry(core: LlCore, nodeid: number, newParent: number, newName: string): Entry {
  const rec = core.rec(nodeid);
  const prec = core.rec(newParent);
  linkAt(core.ovl, core.pathOf(rec), core.childPathOf(prec, newName));
  // The new name joins the source's node (an upper file now, copied up if it was not), as the
  // kernel's ovl_link gives it the source's inode: the reply's attributes are the source's.
  core.links.linked(rec);
  const entry = core.created(prec, newName);
  // Other nodes of the inode (lower hard links the kernel holds apart, whose link count or st_ino
  // a copy-up of this one may have changed) are told.
  core.linked(rec, entry.attr);
  core.invalidateAliases(entry.attr.ino, core.rec(entry.nodeid));
  return entry;
}

/** UNLINK and RMDIR: the node stays valid for open handles until the kernel forgets it. */
export function removeName(core: LlCore, parent: number, name: string, dir: boolean): void {
  const prec = core.rec(parent);
  const path = core.childPathOf(prec, name);
  const held = prec.children?.get(name);
  if (dir) {
    const keep = core.dirRemoving(held, path);
    rmdirAt(core.ovl, path);
    keepRemoved(core, held, keep);
  } else unlinkAt(core.ovl, path);
  const gone = core.table.detach(prec, name);
  core.linkDropped(gone);
  if (gone && gone.nlink > 1) core.invalidateAliases(gone.ino, gone);
}

/**
 * A held dir's removal went through: keep what it now is (removed-dirs.ts), and have the kernel
 * ask for its attributes again, whose link count its FUSE client cleared at the RMDIR (a lower
 * dir's is still its own) and may serve from its cache to a statx that does not ask for ctime.
 */
function keepRemoved(core: LlCore, held: NodeRec | undefined, keep: (() => void) | undefined): void {
  if (held === undefined || keep === undefined) return;
  keep();
  core.attrsChanged(held.id);
}

export function renameEntry(core: LlCore, parent: number, name: string, newParent: number, newName: string, flags: number): void {
  const prec = core.rec(parent);
  const nprec = core.rec(newParent);
  const src = core.childPathOf(prec, name);
  const dest = core.childPathOf(nprec, newName);
  const replaced = core.table.child(nprec, newName);
  // A held dir replaced by the rename is removed as by rmdir (removed-dirs.ts); a held file keeps
  // an open until the kernel forgets it, for requests its readers send after the rename
  // (replaced-files.ts).
  const keep = flags & RENAME_EXCHANGE ? undefined : core.dirRemoving(replaced, dest);
  const kept = flags & RENAME_EXCHANGE ? undefined : core.replaced.keep(replaced, dest);
  try {
    moveHandlesAfterRename(core.ovl, src, dest, flags, renameMerged(core.ovl, src, dest, flags));
  } catch (err) {
    if (kept !== undefined) core.replaced.unkeep(replaced!, kept);
    throw err;
  }
  if (flags & RENAME_EXCHANGE) {
    core.table.exchange(prec, name, nprec, newName);
    return;
  }
  // Two names of one inode: rename(2) leaves both in place (the core did nothing either).
  if (lookupOrNull(core.ovl, src) !== null) {
    if (kept !== undefined) core.replaced.unkeep(replaced!, kept);
    return;
  }
  keepRemoved(core, replaced, keep);
  core.table.move(prec, name, nprec, newName);
  core.linkDropped(replaced);
  if (replaced && replaced.nlink > 1) core.invalidateAliases(replaced.ino, replaced);
}
