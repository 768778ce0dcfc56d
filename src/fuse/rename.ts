// rename and renameat2 as kernel overlayfs answers them (fs/overlayfs/dir.c ovl_rename).
// Files always move (copy-up, then a whiteout at the source when a lower still has it);
// directories that exist only in the upper always (opaque when they land in a merged dir);
// lower or merged directories only with redirect_dir=on, which writes the kernel's `redirect`
// xattr, otherwise EXDEV so that mv(1) falls back to copying. RENAME_NOREPLACE and
// RENAME_EXCHANGE work as on any filesystem; RENAME_WHITEOUT is EINVAL, as the overlay refuses it.
import { OPAQUE_YES, REDIRECT_MAX, createsRedirects, redirectForMove } from '../format/index.js';
import { decodeName, nameByteLength } from '../format/byte-names.js';
import type { FuseOps } from '../sys/fuse-native.js';
import { type RenameFlag, getXattr, rename2, setXattr } from '../sys/index.js';
import { copyUp, markImpure, upperPath } from './copy-up.js';
import { cleanupAside, clearEmptyDir } from './create.js';
import { fail } from './errno.js';
import { originOf } from './inode.js';
import { hideOpenFile, isHideRename, moveHandles } from './hidden.js';
import { hasOrigin } from './origin-fix.js';
import { splitPath } from './layers.js';
import { type Node, existsInLower, hasLowerPart, isPureUpperDir, isWhiteoutAt, lookupDir, lookupOrNull, lookupPath, lstatOrNull } from './lookup.js';
import type { Overlay } from './overlay.js';
import { refuseCreateIn, refuseDelete } from './protect.js';
import { checkEmptyDir } from './readdir.js';
import { reply } from './reply.js';
import { clearUpperTarMarker, refuseTarMarkerName } from './tar-whiteouts.js';

/** renameat2(2) flags (linux/fs.h), as FUSE_RENAME2 carries them. */
export const RENAME_NOREPLACE = 1;
export const RENAME_EXCHANGE = 2;
export const RENAME_WHITEOUT = 4;

/**
 * The redirect to store on the dir moved from `src` to `dest`, as the kernel computes it from the
 * names and the upper's own redirects of `src` and its ancestors (all copied up by now). Not the
 * dir's real path in a lower: after a layer rotation that path can run through a dir the next
 * lower has whited out, and the kernel, reading this upper later, would lose the dir's children.
 */
function movedRedirect(ovl: Overlay, src: string, dest: string, node: Node): string {
  // ovl_need_absolute_redirect: a non-dir whose lower has other hard links gets an absolute one
  // even in its own dir (its lower name may not be the one it was looked up by).
  const lower = node.isDir ? null : node.hits[0]!.layer.upper ? node.data : node.hits[0]!;
  return redirectOf(ovl, src, splitPath(src)[0] === splitPath(dest)[0] && (lower?.st.nlink ?? 1) <= 1);
}

/**
 * ovl_get_redirect of upper object `path`: relative (`sameParent`) or absolute; an absolute one
 * longer than redirect_max is EXDEV (a move the caller's `mv` then makes by copying).
 */
function redirectOf(ovl: Overlay, path: string, sameParent: boolean): string {
  const comps = path.split('/').filter((c) => c.length > 0);
  const redirects = comps.map((_, i) => {
    const v = getXattr(upperPath(ovl, '/' + comps.slice(0, i + 1).join('/')), ovl.xattrs.name('redirect'));
    return v === null ? null : decodeName(v);
  });
  const value = redirectForMove(comps, redirects, sameParent);
  if (value.startsWith('/') && nameByteLength(value) > REDIRECT_MAX) fail('EXDEV', `${path}: redirect longer than ${REDIRECT_MAX} bytes`);
  return value;
}

/**
 * Whether `node`, once copied up for a rename or link, is a metacopy file: one in the upper
 * already, or any lower regular file on a metacopy=on mount (copied up for its metadata).
 */
export function willBeMetacopy(ovl: Overlay, node: Node): boolean {
  if (node.isDir || (node.hits[0]!.st.mode & 0o170000) !== 0o100000) return false;
  return node.hits[0]!.layer.upper ? node.data !== undefined || node.dataOnly !== undefined : ovl.cfg.metacopy;
}

/**
 * ovl_set_link_redirect: a metacopy file given another name carries an absolute redirect to its
 * data (the new name's path leads nowhere below), written on the upper file before the link.
 */
export function setLinkRedirect(ovl: Overlay, path: string): void {
  setXattr(upperPath(ovl, path), ovl.xattrs.name('redirect'), redirectOf(ovl, path, false));
}

/** The VFS's checks come first (do_renameat2, may_delete), before the overlay sees the rename. */
function checkVfs(src: Node, dst: Node | null, dest: string, flags: number): void {
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) fail('EINVAL', dest);
  if (flags & RENAME_EXCHANGE && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) fail('EINVAL', dest);
  if (flags & RENAME_NOREPLACE && dst) fail('EEXIST', dest);
  if (flags & RENAME_EXCHANGE) {
    if (!dst) fail('ENOENT', dest);
    return;
  }
  if (!dst) return;
  if (src.isDir && !dst.isDir) fail('ENOTDIR', dest);
  if (!src.isDir && dst.isDir) fail('EISDIR', dest);
}

/**
 * ovl_can_move: a lower or merged dir moves only by writing a redirect; so does a metacopy file
 * (ovl_type_merge: an upper without its data), whose data is found below by its old path.
 */
function needsRedirect(ovl: Overlay, node: Node, path: string): boolean {
  const redirect = (node.isDir && hasLowerPart(node)) || willBeMetacopy(ovl, node);
  if (redirect && !createsRedirects(ovl.cfg)) fail('EXDEV', path);
  return redirect;
}

/**
 * Make the destination's upper entry one the move can take, the name never absent on the way
 * (ovl_rename): an empty merged dir still holding whiteouts is swapped for an empty opaque
 * replica first (ovl_clear_empty); a whiteout there trades places with the source when the source
 * needs one left behind, or when the source is a dir, which cannot replace it by rename(2) (then
 * it is unlinked from the source's name after the move: `cleanup`). Anything else is replaced by
 * the move itself, or makes it fail ENOTEMPTY (an entry added to an unlisted dir since its check).
 * Returns the move's renameat2 flags; `whiteout`: a lower has the source's name.
 */
function prepareDest(ovl: Overlay, dst: Node | null, dstReal: string, srcIsDir: boolean, whiteout: boolean, whiteouts: readonly string[]): { flags: RenameFlag[]; cleanup: boolean } {
  const flags: RenameFlag[] = whiteout ? ['whiteout'] : [];
  if (dst?.isDir && whiteouts.length > 0) clearEmptyDir(ovl, dstReal, whiteouts);
  else if (whiteout || srcIsDir) {
    const st = lstatOrNull(dstReal);
    if (st && isWhiteoutAt(ovl, dstReal, st)) return { flags: ['exchange'], cleanup: !whiteout };
  }
  return { flags, cleanup: false };
}

/**
 * Mark the dir that moves to a dir `toParent` as the kernel does (ovl_set_redirect,
 * ovl_set_opaque_xerr), on its upper copy at `real`: a lower/merged dir gets a redirect to its
 * origin (relative when it stays in its parent), an upper-only dir that lands in a merged dir
 * becomes opaque. Marked before the move, rename and exchange alike, as ovl_rename does: until the
 * move the redirect names where the dir already is, so a crash or an observer beside the mount in
 * between sees it unmoved; marked after, it would sit at its new name merged with that name's lower.
 */
function markMovedDir(ovl: Overlay, node: Node, redirect: string | null, real: string, toParent: Node): void {
  if (redirect !== null) {
    // ovl_fix_origin: the kernel's lookup gives a merged dir without an origin one (the core's
    // lookup writes nothing); a redirected dir must have it.
    const origin = ovl.xattrs.name('origin');
    const lower = node.isDir ? node.hits.find((h) => !h.layer.upper) : undefined;
    if (lower && getXattr(real, origin) === null) setXattr(real, origin, originOf(ovl, lower.real, lower.st));
    setXattr(real, ovl.xattrs.name('redirect'), redirect);
  } else if (node.isDir && hasLowerPart(toParent) && node.hits[0]!.opaque !== 'opaque') {
    setXattr(real, ovl.xattrs.name('opaque'), OPAQUE_YES);
  }
}

function renameNode(ovl: Overlay, src: string, dest: string, srcNode: Node, dstNode: Node | null): void {
  const redirect = needsRedirect(ovl, srcNode, src);
  // ovl_rename checks a destination dir that may hold whiteouts for emptiness up front; a pure
  // upper one (ovl_pure_upper, opaque or not) is left to the upper's rename(2), after the copy-ups
  // and after the source dir is marked, so a failing ENOTEMPTY leaves those marks on disk as the
  // kernel's does, and a whiteout in it is an entry there.
  const whiteouts = dstNode?.isDir && !isPureUpperDir(ovl, dstNode) ? checkEmptyDir(ovl, dstNode, dest) : [];
  const [srcParent, srcName] = splitPath(src);
  const [dstParent] = splitPath(dest);
  const sp = copyUp(ovl, srcParent);
  const dp = copyUp(ovl, dstParent);
  copyUp(ovl, src);
  const whiteout = existsInLower(ovl, sp, srcName);
  const srcReal = upperPath(ovl, src);
  const dstReal = upperPath(ovl, dest);
  // The kernel's order: the destination cleared, the new parent marked impure, the source marked
  // (its redirect read from the upper before the move: the value depends on src's ancestors' own
  // redirects; too long, EXDEV with the marks before it left as the kernel leaves them), moved.
  const move = prepareDest(ovl, dstNode, dstReal, srcNode.isDir, whiteout, whiteouts);
  if (srcParent !== dstParent && hasOrigin(ovl, srcNode)) markImpure(ovl, upperPath(ovl, dstParent));
  const redirectValue = redirect ? movedRedirect(ovl, src, dest, srcNode) : null;
  markMovedDir(ovl, srcNode, redirectValue, srcReal, dp);
  rename2(srcReal, dstReal, move.flags);
  clearUpperTarMarker(ovl, dstReal);
  if (move.cleanup) cleanupAside(srcReal);
  if (redirect) markImpure(ovl, upperPath(ovl, srcParent));
}

/** RENAME_EXCHANGE: both objects copied up and swapped; no whiteouts, each marked as a move. */
function exchangeNodes(ovl: Overlay, src: string, dest: string, srcNode: Node, dstNode: Node): void {
  const srcRedirect = needsRedirect(ovl, srcNode, src);
  const dstRedirect = needsRedirect(ovl, dstNode, dest);
  const [srcParent] = splitPath(src);
  const [dstParent] = splitPath(dest);
  const sp = copyUp(ovl, srcParent);
  const dp = copyUp(ovl, dstParent);
  copyUp(ovl, src);
  copyUp(ovl, dest);
  if (srcParent !== dstParent) {
    if (hasOrigin(ovl, srcNode)) markImpure(ovl, upperPath(ovl, dstParent));
    if (hasOrigin(ovl, dstNode)) markImpure(ovl, upperPath(ovl, srcParent));
  }
  const srcValue = srcRedirect ? movedRedirect(ovl, src, dest, srcNode) : null;
  const dstValue = dstRedirect ? movedRedirect(ovl, dest, src, dstNode) : null;
  markMovedDir(ovl, srcNode, srcValue, upperPath(ovl, src), dp);
  markMovedDir(ovl, dstNode, dstValue, upperPath(ovl, dest), sp);
  rename2(upperPath(ovl, src), upperPath(ovl, dest), ['exchange']);
}

/**
 * rename/renameat2 of merged `src` to merged `dest` with RENAME_* `flags`, as kernel overlayfs
 * answers it: EINVAL for RENAME_WHITEOUT or bad combinations, EEXIST (NOREPLACE onto any merged
 * name, lower-only included), ENOENT (EXCHANGE with a missing side), ENOTDIR/EISDIR, EXDEV (a
 * lower/merged dir without redirect_dir=on), ENOTEMPTY. Throws OvlError; invalidates both names.
 */
export function renameMerged(ovl: Overlay, src: string, dest: string, flags = 0): Renamed {
  const srcNode = lookupPath(ovl, src);
  refuseTarMarkerName(ovl, splitPath(dest)[1], dest);
  const dstNode = lookupOrNull(ovl, dest);
  checkVfs(srcNode, dstNode, dest, flags);
  if (flags & RENAME_WHITEOUT) fail('EINVAL', src);
  const renamed = { srcDir: srcNode.isDir, destDir: dstNode?.isDir ?? false };
  if (dstNode && dstNode.hits[0]!.real === srcNode.hits[0]!.real) return renamed;
  refuseRename(ovl, src, dest, srcNode, dstNode);
  if (flags & RENAME_EXCHANGE) exchangeNodes(ovl, src, dest, srcNode, dstNode!);
  else renameNode(ovl, src, dest, srcNode, dstNode);
  ovl.invalidate(src);
  ovl.invalidate(dest);
  return renamed;
}

/**
 * vfs_rename after its same-inode return: may_delete of the source, then of the name replaced, or
 * may_create of the new name (RENAME_EXCHANGE replaces, both ways).
 */
function refuseRename(ovl: Overlay, src: string, dest: string, srcNode: Node, dstNode: Node | null): void {
  refuseDelete(ovl, lookupDir(ovl, splitPath(src)[0]), srcNode, src);
  const destDir = lookupDir(ovl, splitPath(dest)[0]);
  if (dstNode) refuseDelete(ovl, destDir, dstNode, dest);
  else refuseCreateIn(ovl, destDir, dest);
}

/** Whether the objects renameMerged moved are dirs (their open handles below move too). */
export interface Renamed {
  srcDir: boolean;
  destDir: boolean;
}

/** Open handles follow their files: swap the paths of handles below `a` and `b`. */
function swapHandles(ovl: Overlay, a: string, b: string, r: Renamed): void {
  const parked = '\0exchange';
  moveHandles(ovl, a, parked, r.srcDir);
  moveHandles(ovl, b, a, r.destDir);
  moveHandles(ovl, parked, b, r.srcDir);
}

export function renameOps(ovl: Overlay): Partial<FuseOps> {
  return {
    rename(src, dest, cb) {
      reply('rename', cb, () => {
        if (isHideRename(ovl, src, dest)) return hideOpenFile(ovl, src, dest);
        moveHandles(ovl, src, dest, renameMerged(ovl, src, dest).srcDir);
      });
    },
  };
}

/** For a path-keyed handle table after renameMerged: where the open handles go. */
export function moveHandlesAfterRename(ovl: Overlay, src: string, dest: string, flags: number, r: Renamed): void {
  if (flags & RENAME_EXCHANGE) swapHandles(ovl, src, dest, r);
  else moveHandles(ovl, src, dest, r.srcDir);
}
