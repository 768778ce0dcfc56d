// Inode numbers and link counts as the kernel reports them with all layers on one filesystem:
// an object shows the inode of its origin (lowest) object, stable across copy-up and remount
// (rebuilt from the `origin` xattr); a merged dir shows its top lower dir's inode and nlink 1.
import { parseOrigin } from '../format/index.js';
import { lstatSync, statSync } from '../sys/fs-bytes.js';
import { dirname } from 'node:path';
import { type FileHandle, fileHandle, fsUuid, inodeOfHandle, openMountRef } from '../sys/handle.js';
import { type RealStat, getXattr, lstatRealOrNull } from '../sys/index.js';
import { STATX_BTIME } from '../sys/statx.js';
import type { Hit, Node } from './lookup.js';
import type { Overlay } from './overlay.js';

/**
 * The `origin` value the kernel writes for a file handle (struct ovl_fb, CPU = little endian), with
 * `uuid` (16 bytes) the handle's filesystem's, or null for all zero.
 */
export function encodeOrigin(fh: FileHandle, uuid: Buffer | null = null): Buffer {
  const out = Buffer.alloc(21 + fh.bytes.length);
  out[0] = 0; // version
  out[1] = 0xfb; // magic
  out[2] = 21 + fh.bytes.length;
  out[3] = 0; // flags: little-endian, lower path
  out[4] = fh.type;
  uuid?.copy(out, 5, 0, 16);
  fh.bytes.copy(out, 21);
  return out;
}

/**
 * The `origin` value for lower object `real` (stat `st`), as ovl_encode_real_fh makes it: its
 * handle and its filesystem's uuid, null with `uuid=off`. The kernel decodes an origin only where
 * that uuid is the layer's, so a zero one written on a filesystem that has a uuid (tmpfs, and an
 * ext4 or xfs made with one) left the kernel unable to follow what ovl-fuse copied up.
 */
export function originOf(ovl: Overlay, real: string | number, st: RealStat): Buffer {
  let fh: FileHandle;
  try {
    fh = fileHandle(real);
  } catch (err) {
    // A lower filesystem that cannot give handles to decode later (a kernel overlay mounted
    // without nfs_export, the lower of a container's own root): the kernel's copy-up stores an
    // empty origin then (ovl_get_origin_fh), which still tells a copy from a pure upper object.
    if ((err as { code?: string }).code === 'EOPNOTSUPP') {
      ovl.noHandleDevs.add(st.dev);
      return NO_HANDLE;
    }
    throw err;
  }
  return encodeOrigin(fh, ovl.cfg.uuid === 'off' ? null : fsUuidOf(ovl, real, st));
}

/** The `origin` value of a copy whose lower object has no file handle: empty ("unknown"). */
const NO_HANDLE = Buffer.alloc(0);

/** `real` is a path or an open fd (a regular file's copy-up source). */
function fsUuidOf(ovl: Overlay, real: string | number, st: RealStat): Buffer | null {
  let uuid = ovl.fsUuids.get(st.dev);
  if (uuid === undefined) {
    // A dir is asked itself, anything else through its parent (opening a fifo or device could block).
    const dir = typeof real === 'number' || (st.mode & 0o170000) === 0o040000 ? real : dirname(real);
    uuid = typeof dir === 'number' || lstatSync(dir).dev === st.dev ? fsUuid(dir) : null;
    ovl.fsUuids.set(st.dev, uuid);
  }
  return uuid;
}

/** The lower file handle stored in an origin value, or null for "origin unknown" or a malformed value. */
export function originHandle(value: Buffer): FileHandle | null {
  const o = parseOrigin(value);
  if (!o || o === 'unknown') return null;
  return { type: o.type, bytes: Buffer.from(o.fid) };
}

/** One O_PATH fd per lower filesystem, with its st_dev, to let the kernel decode origin handles (opened on first use). */
function lowerMountFds(ovl: Overlay): Array<[fd: number, dev: number]> {
  if (ovl.lowerMountFds) return ovl.lowerMountFds;
  const byDev = new Map<number, number>();
  for (const l of ovl.stack.lowers) {
    // By `via` where the overlay's own mount covers the root's path (submounts.ts): a
    // /proc/self/fd link, so stat, not lstat.
    const dir = l.via ?? l.root;
    const dev = statSync(dir).dev;
    if (!byDev.has(dev)) byDev.set(dev, openMountRef(dir));
  }
  return (ovl.lowerMountFds = [...byDev].map(([dev, fd]): [number, number] => [fd, dev]));
}

/**
 * Inode number of the lower object an origin value names, decoded by the kernel as overlayfs
 * does (the fid layout is each filesystem's own), as the merged object shows it (xino.ts); null
 * when the lower object is gone.
 */
export function originIno(ovl: Overlay, value: Buffer): bigint | null {
  const fh = originHandle(value);
  if (!fh) return null;
  for (const [fd, dev] of lowerMountFds(ovl)) {
    const ino = inodeOfHandle(fd, fh);
    if (ino !== null) return ovl.inos.onDev(ino, dev);
  }
  return null;
}

/**
 * The daemon changed upper object `real` (stat'ed `before` the change) in a way that keeps its
 * origin: the cached origin inode, if any, follows it to its new ctime.
 */
export function keepOriginIno(ovl: Overlay, before: RealStat, real: string): void {
  const ino = ovl.originInos.get(before);
  if (ino === undefined) return;
  const after = lstatRealOrNull(real);
  if (after) ovl.originInos.set(after, ino);
}

/**
 * The key of an upper object in Overlay.unstoredOrigins: its inode and birth time, which stay
 * through the ctime changes (renames, links, xattrs) that end an OriginInos entry, and change when the
 * inode number is reused; its ctime on a filesystem that keeps no birth time (ext4 with 128-byte
 * inodes), where the first change of that ctime loses the number (the copy then shows its own).
 */
export function unstoredOriginKey(st: RealStat): string {
  return st.mask & STATX_BTIME ? `${st.ino}@${st.btimeSec}.${st.btimeNsec}` : `${st.ino}:${st.ctimeSec}.${st.ctimeNsec}`;
}

function upperIno(ovl: Overlay, hit: Hit, st: RealStat, data?: Hit): bigint {
  const cached = ovl.originInos.get(st);
  if (cached !== undefined) return cached;
  const value = getXattr(hit.real, ovl.xattrs.name('origin'));
  // No origin stored, or an empty one (the lower gave no file handle): a copy made by this daemon
  // still shows the lower's number, as the kernel's overlay inode does until it is evicted
  // (copy-up.ts setOrigin); a metacopy file with an empty origin shows the number of the lower
  // its data was found in by name, as the kernel's lookup goes on below it (not for a lower hard
  // link: the kernel shows the copy's own number for those).
  const named = value !== null && value.length > 0;
  const unstored = !named && ovl.unstoredOrigins.size > 0 ? ovl.unstoredOrigins.get(unstoredOriginKey(st)) : undefined;
  const below = value !== null && !named && data && !data.layer.upper && data.st.nlink === 1 ? ovl.inos.of(data.st.ino, data.layer) : undefined;
  const ino = unstored ?? below ?? (named ? originIno(ovl, value) : null) ?? ovl.inos.of(st.ino, hit.layer);
  ovl.originInos.set(st, ino);
  return ino;
}

/**
 * st_ino of a merged object, given a fresh stat of its top real object: the real number of the
 * object named below, unique across the layers' filesystems (xino.ts).
 */
export function inoOf(ovl: Overlay, node: Node, st: RealStat = node.hits[0]!.st): bigint {
  const top = node.hits[0]!;
  if (node.isDir) {
    // The root is never given an origin: the kernel reports its top layer's inode.
    if (node.path === '/') return ovl.inos.of(st.ino, top.layer);
    // A merged dir shows its top lower dir's inode; a dir with no lower copy its own, even with
    // an `origin` xattr (a copied-up dir made opaque, or whose lower went): the kernel decodes
    // origin for non-dirs only (ovl_lookup) and finds a dir's lowers by path. Checked on 6.18:
    // an opaque upper dir with origin showed the upper inode (ovl-check lower-mutation seed 281).
    const lower = node.hits.find((h) => !h.layer.upper);
    return lower ? ovl.inos.of(lower.st.ino, lower.layer) : ovl.inos.of(st.ino, top.layer);
  }
  // An upper file's origin number is mapped where it is decoded or recorded (upperIno).
  return top.layer.upper ? upperIno(ovl, top, st, node.data) : ovl.inos.of(st.ino, top.layer);
}

/** st_nlink: 1 for a dir present in two or more layers, else the real count. */
export function nlinkOf(node: Node, st: RealStat = node.hits[0]!.st): number {
  return node.isDir && node.hits.length > 1 ? 1 : st.nlink;
}
