// rename: files always (copy-up, then a whiteout at the source when a lower still has it);
// directories that exist only in the upper always (they become opaque, as with the kernel);
// lower or merged directories only with redirect_dir=on, which writes the kernel's `redirect`
// xattr, otherwise EXDEV so that mv(1) falls back to copying.
import { renameSync, rmSync } from 'node:fs';
import { OPAQUE_YES, createsRedirects, redirectForMove } from '../format/index.js';
import type { FuseOps } from '../sys/fuse-native.js';
import { getXattr, rename2, setXattr } from '../sys/index.js';
import { copyUp, markImpure, upperPath } from './copy-up.js';
import { fail } from './errno.js';
import { hideOpenFile, isHideRename, moveHandles } from './hidden.js';
import { splitPath } from './layers.js';
import { type Node, existsInLower, isWhiteoutAt, lookupOrNull, lookupPath, lstatOrNull } from './lookup.js';
import type { Overlay } from './overlay.js';
import { mergedNames } from './readdir.js';
import { reply } from './reply.js';

function isPureUpper(node: Node): boolean {
  return node.hits.length === 1 && node.hits[0]!.layer.upper;
}

/**
 * The redirect to store on the dir moved from `src` to `dest`, as the kernel computes it from the
 * names and the upper's own redirects of `src` and its ancestors (all copied up by now). Not the
 * dir's real path in a lower: after a layer rotation that path can run through a dir the next
 * lower has whited out, and the kernel, reading this upper later, would lose the dir's children.
 */
function movedRedirect(ovl: Overlay, src: string, dest: string): string {
  const comps = src.split('/').filter((c) => c.length > 0);
  const redirects = comps.map((_, i) => getXattr(upperPath(ovl, '/' + comps.slice(0, i + 1).join('/')), ovl.xattrs.name('redirect'))?.toString() ?? null);
  return redirectForMove(comps, redirects, splitPath(src)[0] === splitPath(dest)[0]);
}

/** The VFS's type checks come first, then the overlay's EXDEV, then emptiness (as the kernel orders them). */
function checkTypes(src: Node, dst: Node | null, dest: string): void {
  if (!dst) return;
  if (src.isDir && !dst.isDir) fail('ENOTDIR', dest);
  if (!src.isDir && dst.isDir) fail('EISDIR', dest);
}

/** Clear the destination's upper entry so that rename(2) can put the source there. */
function clearDest(ovl: Overlay, dst: Node | null, dstReal: string, srcIsDir: boolean): void {
  const st = lstatOrNull(dstReal);
  if (!st) return;
  if (dst?.isDir) {
    // An empty merged dir may still hold whiteouts: move it out and remove it whole.
    const tmp = ovl.tempPath();
    renameSync(dstReal, tmp);
    rmSync(tmp, { recursive: true, force: true });
  } else if (srcIsDir && isWhiteoutAt(ovl, dstReal, st)) {
    // A dir cannot replace a whiteout by rename(2); the moved dir is opaque or redirected, so
    // nothing below shows through once the whiteout is gone.
    rmSync(dstReal);
  }
}

function renameNode(ovl: Overlay, src: string, dest: string): void {
  const srcNode = lookupPath(ovl, src);
  const dstNode = lookupOrNull(ovl, dest);
  if (dstNode && dstNode.hits[0]!.real === srcNode.hits[0]!.real) return;
  checkTypes(srcNode, dstNode, dest);
  const redirect = srcNode.isDir && !isPureUpper(srcNode);
  if (redirect && !createsRedirects(ovl.cfg)) fail('EXDEV', src);
  if (dstNode?.isDir && mergedNames(ovl, dstNode).length > 0) fail('ENOTEMPTY', dest);
  const [srcParent, srcName] = splitPath(src);
  const [dstParent] = splitPath(dest);
  const sp = copyUp(ovl, srcParent);
  copyUp(ovl, dstParent);
  copyUp(ovl, src);
  const whiteout = existsInLower(ovl, sp, srcName);
  const redirectValue = redirect ? movedRedirect(ovl, src, dest) : '';
  const srcReal = upperPath(ovl, src);
  const dstReal = upperPath(ovl, dest);
  clearDest(ovl, dstNode, dstReal, srcNode.isDir);
  rename2(srcReal, dstReal, whiteout ? ['whiteout'] : []);
  if (srcNode.isDir && !redirect) setXattr(dstReal, ovl.xattrs.name('opaque'), OPAQUE_YES);
  if (redirect) {
    setXattr(dstReal, ovl.xattrs.name('redirect'), redirectValue);
    markImpure(ovl, upperPath(ovl, srcParent));
  }
  if (!isPureUpper(srcNode)) markImpure(ovl, upperPath(ovl, dstParent));
  ovl.invalidate(src);
  ovl.invalidate(dest);
}

export function renameOps(ovl: Overlay): Partial<FuseOps> {
  return {
    rename(src, dest, cb) {
      reply('rename', cb, () => {
        if (isHideRename(ovl, src, dest)) return hideOpenFile(ovl, src, dest);
        renameNode(ovl, src, dest);
        moveHandles(ovl, src, dest);
      });
    },
  };
}
