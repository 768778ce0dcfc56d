// Attributes for the node-based transport: a merged object's stat as the kernel's overlay reports
// it (inode of the origin, nlink 1 for merged dirs), as the plain numbers of fuse_attr; and
// SETATTR applied through the path-based core, or to an open fd when the name is gone.
import { fchmodSync, fchownSync } from 'node:fs';
import { truncateFd } from '../sys/offsets.js';
import { type RealStat, type TimeSpec, fstatReal, setTimes } from '../sys/index.js';
import { changeMode, changeOwner, changeTimes, truncatePath } from './attrs.js';
import type { Handle } from './handles.js';
import { inoOf, nlinkOf } from './inode.js';
import { type Node, lstatOrNull } from './lookup.js';
import { fail } from './errno.js';
import { current } from './ops-file.js';
import type { Overlay } from './overlay.js';
import type { Attr, SetAttr, U64 } from './session/filesystem.js';

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_IXGRP = 0o0010;

/** A stat's size as fuse_attr carries it: a number while exact (below 2^53), else the bigint. */
export function exactSize(size: bigint): U64 {
  const n = Number(size);
  return n <= Number.MAX_SAFE_INTEGER ? n : size;
}

/** fuse_attr of a real object's stat, with the overlay's inode number and link count. */
export function attrOf(st: RealStat, ino: bigint, nlink: number = st.nlink): Attr {
  return {
    ino: Number(ino),
    size: exactSize(st.size),
    blocks: Number(st.blocks),
    atimeSec: st.atimeSec,
    atimeNsec: st.atimeNsec,
    mtimeSec: st.mtimeSec,
    mtimeNsec: st.mtimeNsec,
    ctimeSec: st.ctimeSec,
    ctimeNsec: st.ctimeNsec,
    mode: Number(st.mode),
    nlink: Number(nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: Number(st.rdev),
    blksize: Number(st.blksize),
  };
}

/** A fresh stat of a node's top object: its lookup's own, or a new one for a cached node; null when it vanished. */
export function topStat(node: Node): RealStat | null {
  return node.fresh ? node.hits[0]!.st : lstatOrNull(node.hits[0]!.real);
}

/** The attributes of a merged node from `st`, a fresh stat of its top object, or null when it vanished. */
export function nodeAttr(ovl: Overlay, node: Node, st = topStat(node)): Attr | null {
  if (!st) return null;
  return attrOf(st, inoOf(ovl, node, st), nlinkOf(node, st));
}

/** The attributes of an open file, following a copy-up made since it was opened. */
export function handleAttr(ovl: Overlay, fh: number): Attr {
  const h = current(ovl, fh);
  return attrOf(fstatReal(h.fd), h.ino);
}

function timeSpec(t: SetAttr['atime']): TimeSpec {
  if (t === undefined) return 'omit';
  if (t === 'now') return 'now';
  return { sec: t.sec, nsec: t.nsec };
}

/**
 * FATTR_KILL_SUIDGID: what a write or truncate by an unprivileged caller leaves of the mode
 * (setgid only goes when group-execute makes it a real setgid, as in the VFS's should_remove_suid).
 */
export function killSuidgid(mode: number): number {
  let m = mode & 0o7777;
  m &= ~S_ISUID;
  if (m & S_IXGRP) m &= ~S_ISGID;
  return m;
}

/**
 * What a write or O_TRUNC open by a caller without CAP_FSETID drops (FUSE_WRITE_KILL_SUIDGID,
 * FUSE_OPEN_KILL_SUIDGID), done on the open upper file: the fd's new stat when the mode changed.
 */
export function dropSetIds(fd: number): RealStat | null {
  const st = fstatReal(fd);
  const mode = st.mode;
  if ((mode & 0o7777) === killSuidgid(mode)) return null;
  fchmodSync(fd, killSuidgid(mode));
  return fstatReal(fd);
}

/**
 * The mode a SETATTR leaves: the one asked, or with FATTR_KILL_SUIDGID (HANDLE_KILLPRIV_V2) the
 * current one without setuid and group-executable setgid. Not for a chown: the kernel sets the
 * flag on every one, and the upper's own chown already drops those bits as the VFS does (a chmod
 * after it would follow a symlink).
 */
function modeAfter(set: SetAttr, current: () => number): number | undefined {
  if (set.mode !== undefined) return set.mode;
  if (!set.killSuidgid || set.uid !== undefined || set.gid !== undefined) return undefined;
  return killSuidgid(current());
}

function changesNothing(set: SetAttr): boolean {
  return set.uid === undefined && set.gid === undefined && set.mode === undefined && !set.killSuidgid &&
    set.size === undefined && set.atime === undefined && set.mtime === undefined;
}

/** SETATTR on a named merged object: owner first (chown clears set-id bits), then mode, size, times. */
export function setAttrPath(ovl: Overlay, path: string, set: SetAttr, currentMode: number): void {
  if (changesNothing(set)) {
    // chown(p, -1, -1) and the like: the kernel's FUSE client sends a SETATTR without fields, and
    // kernel overlayfs still copies up and lets the upper stamp ctime (ovl_setattr → notify_change).
    changeOwner(ovl, path, -1, -1);
    return;
  }
  if (set.uid !== undefined || set.gid !== undefined) changeOwner(ovl, path, set.uid ?? -1, set.gid ?? -1);
  const mode = modeAfter(set, () => currentMode);
  if (mode !== undefined) changeMode(ovl, path, mode);
  if (set.size !== undefined) {
    const h = set.fh !== undefined ? ovl.handles.get(set.fh) : undefined;
    // ftruncate: the open fd is the upper file already (a write open copied up).
    if (h && h.upper) truncateFd(h.fd, set.size);
    else truncatePath(ovl, path, set.size);
  }
  if (set.atime !== undefined || set.mtime !== undefined) changeTimes(ovl, path, timeSpec(set.atime), timeSpec(set.mtime));
}

/**
 * SETATTR on an open upper file, straight to its fd: an unlinked or replaced name, or a file the
 * kernel holds open (ovl_setattr changes the upper inode its dentry holds, not whatever the path
 * names now). Owner first (chown clears set-id bits), then mode, size, times (nanoseconds).
 */
export function setAttrHandle(h: Handle, set: SetAttr): void {
  // A lower file is never changed in place, and a gone name cannot be copied up.
  if (!h.upper) fail('ENOENT', h.path);
  // chown(f, -1, -1): no fields, and the upper still stamps ctime (setAttrPath).
  if (changesNothing(set)) return fchownSync(h.fd, -1, -1);
  if (set.uid !== undefined || set.gid !== undefined) fchownSync(h.fd, set.uid ?? -1, set.gid ?? -1);
  const mode = modeAfter(set, () => fstatReal(h.fd).mode);
  if (mode !== undefined) fchmodSync(h.fd, mode & 0o7777);
  if (set.size !== undefined) truncateFd(h.fd, set.size);
  if (set.atime !== undefined || set.mtime !== undefined) setTimes(h.fd, timeSpec(set.atime), timeSpec(set.mtime));
}
