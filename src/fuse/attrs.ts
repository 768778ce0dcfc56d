// Attribute changes on a merged path, shared by both transports: each copies up first and then
// changes the upper copy; reads (readlink, statfs) never copy up.
import { chmodSync, lchownSync, readlinkSync, statfsSync } from '../sys/fs-bytes.js';
import { truncateAt } from '../sys/offsets.js';
import { setTimes, type TimeSpec } from '../sys/index.js';
import { copyUpChecked, readLowerLink, upperPath } from './copy-up.js';
import { keepOriginIno } from './inode.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';
import { protOf, refuseSetattr } from './protect.js';
import type { SetAttr } from './session/filesystem.js';

/**
 * Copy `path` up and apply `change` to the upper copy. The change stamps its ctime, for which the
 * cached origin inode is valid (origin-inos.ts); the origin itself is unchanged, so its inode is
 * carried to the new ctime rather than read and decoded again at the next stat.
 */
function onUpper(ovl: Overlay, path: string, set: SetAttr, change: (real: string) => void): void {
  // may_setattr and vfs_truncate refuse an append-only or immutable object before any copy-up.
  // A truncate needs the data in the upper; any other change leaves a metacopy file's below.
  const node = copyUpChecked(ovl, path, (found) => refuseSetattr(protOf(ovl, found), set, path), set.size !== undefined);
  const real = upperPath(ovl, node.path);
  change(real);
  keepOriginIno(ovl, node.hits[0]!.st, real);
}

export function changeMode(ovl: Overlay, path: string, mode: number): void {
  onUpper(ovl, path, { mode }, (real) => chmodSync(real, mode & 0o7777));
  ovl.restatDir(path);
}

/** chown(2); -1 leaves that id unchanged. */
export function changeOwner(ovl: Overlay, path: string, uid: number, gid: number): void {
  const set = { uid: uid === -1 ? undefined : uid, gid: gid === -1 ? undefined : gid };
  onUpper(ovl, path, set, (real) => lchownSync(real, uid, gid));
  ovl.restatDir(path);
}

export function changeTimes(ovl: Overlay, path: string, atime: TimeSpec, mtime: TimeSpec): void {
  onUpper(ovl, path, { atime: asSet(atime), mtime: asSet(mtime) }, (real) => setTimes(real, atime, mtime));
}

/** truncate(2) of the upper copy; `size` is a bigint from 2^53 on (SETATTR of the node-based transport). */
export function truncatePath(ovl: Overlay, path: string, size: number | bigint): void {
  onUpper(ovl, path, { size }, (real) => truncateAt(real, size));
}

/** A time as SETATTR names it: 'now' (FATTR_*_NOW), a given time, or nothing (UTIME_OMIT). */
function asSet(t: TimeSpec): SetAttr['atime'] {
  if (t === 'omit') return undefined;
  return t === 'now' ? 'now' : { sec: Number(t.sec), nsec: t.nsec };
}

/** readlink(2); a lower symlink's atime is put back, as the kernel overlay never stamps it. */
export function readLink(ovl: Overlay, path: string): Buffer {
  const hit = lookupPath(ovl, path).hits[0]!;
  return hit.layer.upper ? readlinkSync(hit.real, { encoding: 'buffer' }) : readLowerLink(hit.layer, hit.real, hit.st.atimeNs);
}

export interface OverlayStatfs {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  namemax: number;
}

/** statfs of the merged mount: the upper's filesystem (the top lower's when read-only), as the kernel reports. */
export function overlayStatfs(ovl: Overlay): OverlayStatfs {
  const top = ovl.stack.upper ?? ovl.stack.lowers[0]!;
  // By `via` where the overlay's own mount covers the root's path (submounts.ts).
  const s = statfsSync(top.via ?? top.root);
  return { bsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, namemax: 255 };
}
