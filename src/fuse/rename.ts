// rename: files always (copy-up, then a whiteout at the source when a lower still has it);
// directories that exist only in the upper always (they become opaque, as with the kernel);
// lower or merged directories only with redirect_dir=on, which writes the kernel's `redirect`
// xattr, otherwise EXDEV so that mv(1) falls back to copying.
import { renameSync, rmSync } from 'node:fs';
import { OPAQUE_YES, createsRedirects, formatRedirect } from '../format/index.js';
import type { FuseOps } from '../sys/fuse-native.js';
import { rename2, setXattr } from '../sys/index.js';
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

/** Path of a dir's origin in the lowers ('/a/sub' → ['a', 'sub']), following any redirect it has. */
function lowerPath(node: Node): string[] {
  const lower = node.hits.find((h) => !h.layer.upper)!;
  return lower.real.slice(lower.layer.root.length).split('/').filter((c) => c.length > 0);
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
  const srcReal = upperPath(ovl, src);
  const dstReal = upperPath(ovl, dest);
  clearDest(ovl, dstNode, dstReal, srcNode.isDir);
  rename2(srcReal, dstReal, whiteout ? ['whiteout'] : []);
  if (srcNode.isDir && !redirect) setXattr(dstReal, ovl.xattrs.name('opaque'), OPAQUE_YES);
  if (redirect) {
    // Relative ("ld") when the parent is unchanged, else absolute from the root ("/a/sub").
    const parent = dest.split('/').filter((c) => c.length > 0).slice(0, -1);
    setXattr(dstReal, ovl.xattrs.name('redirect'), formatRedirect(lowerPath(srcNode), parent));
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
