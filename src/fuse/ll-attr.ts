// Attributes for the node-based transport: a merged object's stat as the kernel's overlay reports
// it (inode of the origin, nlink 1 for merged dirs), as the plain numbers of fuse_attr; and
// SETATTR applied through the path-based core, or to an open fd when the name is gone.
import { constants, fchmodSync, fchownSync } from 'node:fs';
import { truncateAt, truncateFd } from '../sys/offsets.js';
import { closeFd, openFile } from '../sys/fd.js';
import { type RealStat, type TimeSpec, fstatReal, lstatRealOrNull, setTimes } from '../sys/index.js';
import { upperPath } from './copy-up.js';
import { changeMode, changeOwner, changeTimes, truncatePath } from './attrs.js';
import type { Handle } from './handles.js';
import { CAP_FOWNER, type Owner, capableOver, holdsForWriting, inGroupOrCapable, taskCreds } from './caller-creds.js';
import { inoOf, nlinkOf } from './inode.js';
import { type Node, lookupOrNull, topStat } from './lookup.js';
import { splitPath } from './layers.js';
import { blocksOf } from './lookup-metacopy.js';
import { fail } from './errno.js';
import { current } from './ops-file.js';
import type { Caller, Overlay } from './overlay.js';
import { protOfUpperFd, refuseSetattr } from './protect.js';
import type { Attr, SetAttr, U64 } from './session/filesystem.js';

const { O_RDONLY, O_NOATIME } = constants;
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
    blocks: st.blocks,
    atimeSec: st.atimeSec,
    atimeNsec: st.atimeNsec,
    mtimeSec: st.mtimeSec,
    mtimeNsec: st.mtimeNsec,
    ctimeSec: st.ctimeSec,
    ctimeNsec: st.ctimeNsec,
    mode: st.mode,
    nlink,
    uid: st.uid,
    gid: st.gid,
    rdev: st.rdev,
    blksize: st.blksize,
  };
}

/** The attributes of a merged node from `st`, a fresh stat of its top object, or null when it vanished. */
export function nodeAttr(ovl: Overlay, node: Node, st = topStat(node)): Attr | null {
  if (!st) return null;
  const attr = attrOf(st, inoOf(ovl, node, st), nlinkOf(node, st));
  if (node.data || node.dataOnly) attr.blocks = blocksOf(ovl, node, st);
  return attr;
}

/** The attributes of an open file, following a copy-up made since it was opened. */
export function handleAttr(ovl: Overlay, fh: number): Attr {
  const h = current(ovl, fh);
  if (h.meta === undefined) return attrOf(fstatReal(h.fd), h.ino);
  const attr = attrOf(fstatReal(h.meta), h.ino);
  attr.blocks = fstatReal(h.fd).blocks;
  return attr;
}

function timeSpec(t: SetAttr['atime']): TimeSpec {
  if (t === undefined) return 'omit';
  if (t === 'now') return 'now';
  return { sec: t.sec, nsec: t.nsec };
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/**
 * A SETATTR without fields (`changesNothing`) from a caller who neither owns `st` nor holds
 * CAP_FOWNER, where set-id bits would go: a chown(f, -1, -1) the kernel's overlay refuses (EPERM)
 * before copying anything up, as the VFS makes the kill a mode change (notify_change) that
 * setattr_prepare lets only the owner make. The FUSE client leaves the kill to the daemon
 * (HANDLE_KILLPRIV_V2) and sends the SETATTR without fields, which passes its own setattr_prepare,
 * and the daemon's chown as root would strip another user's setuid bit. The same request comes
 * from a write's file_remove_privs (ATTR_FORCE: not refused), sent by the writer, who holds the
 * file open for writing: `writerOpen()` says whether any handle of the node is open for writing
 * (cheap, asked first), and then the caller's own fd table must hold one (holdsForWriting: a
 * chown by another user while someone else writes is refused; before 2026-12-07 it stripped
 * root's setuid bit). A user who may write the file loses nothing by that: the write would drop
 * the bits anyway. CAP_FOWNER counts over a file whose owner the caller's user namespace maps
 * (inode_owner_or_capable). Directories are exempt (chown_common kills nothing on them); a task
 * whose credentials cannot be read is let through.
 */
export function refuseForeignChown(path: string, st: { mode: number; uid: number; gid: number; ino: number }, caller: Caller, writerOpen: () => boolean): void {
  const mode = st.mode;
  if ((mode & S_IFMT) === S_IFDIR || caller.uid === st.uid) return;
  if (killSuidgid(mode, st, caller) === (mode & 0o7777)) return;
  if (writerOpen() && holdsForWriting(caller, st.ino)) return;
  const creds = taskCreds(caller);
  if (creds !== null && !capableOver(caller, creds, CAP_FOWNER, st, true)) fail('EPERM', path);
}

/**
 * FATTR_KILL_SUIDGID: what a write or truncate by an unprivileged caller leaves of the mode, as
 * the VFS's should_remove_suid decides it: setuid goes; setgid goes when group-execute makes it a
 * real setgid, or (setattr_should_drop_sgid, kernel ≥ 6.2) when the caller is outside the group
 * of the file's `owner` and holds no CAP_FSETID over it. Without a caller, the group-execute rule alone.
 */
export function killSuidgid(mode: number, owner?: Owner, caller?: Caller): number {
  let m = mode & 0o7777;
  m &= ~S_ISUID;
  if (m & S_ISGID && (m & S_IXGRP || (caller && owner !== undefined && !inGroupOrCapable(caller, owner)))) m &= ~S_ISGID;
  return m;
}

/**
 * What a write or O_TRUNC open by a caller without CAP_FSETID drops (FUSE_WRITE_KILL_SUIDGID,
 * FUSE_OPEN_KILL_SUIDGID), done on the open upper file: the fd's new stat when the mode changed.
 */
export function dropSetIds(fd: number, caller: Caller): RealStat | null {
  const st = fstatReal(fd);
  const mode = st.mode;
  if (!(mode & (S_ISUID | S_ISGID))) return null;
  const kept = killSuidgid(mode, st, caller);
  if ((mode & 0o7777) === kept) return null;
  fchmodSync(fd, kept);
  return fstatReal(fd);
}

/**
 * The mode a SETATTR leaves: the one asked, or with FATTR_KILL_SUIDGID (HANDLE_KILLPRIV_V2) the
 * current one without setuid and group-executable setgid. Not for a chown: the kernel sets the
 * flag on every one, and the upper's own chown already drops those bits as the VFS does (a chmod
 * after it would follow a symlink).
 */
function modeAfter(set: SetAttr, current: () => { mode: number; uid: number; gid: number }, caller: Caller): number | undefined {
  if (set.mode !== undefined) return set.mode;
  if (!set.killSuidgid || set.uid !== undefined || set.gid !== undefined) return undefined;
  const st = current();
  return killSuidgid(st.mode, st, caller);
}

/** A SETATTR that names no field: a chown(f, -1, -1), or a write's file_remove_privs. */
export function changesNothing(set: SetAttr): boolean {
  return set.uid === undefined && set.gid === undefined && set.mode === undefined && !set.killSuidgid &&
    set.size === undefined && set.atime === undefined && set.mtime === undefined;
}

/** SETATTR on a named merged object: owner first (chown clears set-id bits), then mode, size, times. */
export function setAttrPath(ovl: Overlay, path: string, set: SetAttr, current: () => { mode: number; uid: number; gid: number }): void {
  if (changesNothing(set)) {
    // chown(p, -1, -1) and the like: the kernel's FUSE client sends a SETATTR without fields, and
    // kernel overlayfs still copies up and lets the upper stamp ctime (ovl_setattr → notify_change)
    // unless it refuses the caller (refuseForeignChown).
    changeOwner(ovl, path, -1, -1);
    return;
  }
  if (set.uid !== undefined || set.gid !== undefined) changeOwner(ovl, path, set.uid ?? -1, set.gid ?? -1);
  const mode = modeAfter(set, current, ovl.caller());
  if (mode !== undefined) changeMode(ovl, path, mode);
  if (set.size !== undefined) {
    const h = set.fh !== undefined ? ovl.handles.get(set.fh) : undefined;
    // ftruncate: the open fd is the upper file already (a write open copied up); do_ftruncate
    // refuses an append-only one.
    if (h && h.upper) {
      refuseSetattr(protOfUpperFd(ovl, h.fd), { size: set.size, fh: set.fh }, path);
      truncateFd(h.fd, set.size);
    }
    else truncatePath(ovl, path, set.size);
  }
  if (set.atime !== undefined || set.mtime !== undefined) changeTimes(ovl, path, timeSpec(set.atime), timeSpec(set.mtime));
}

/**
 * SETATTR on an open upper file, straight to its fd: an unlinked or replaced name, or a file the
 * kernel holds open (ovl_setattr changes the upper inode its dentry holds, not whatever the path
 * names now). Owner first (chown clears set-id bits), then mode, size, times (nanoseconds).
 */
export function setAttrHandle(ovl: Overlay, h: Handle, set: SetAttr, caller: Caller): void {
  // A lower file is never changed in place, and a gone name cannot be copied up; but a metacopy
  // file's handle, reading the data below, changes the upper file it was opened on (Handle.meta).
  if (!h.upper) {
    if (h.meta === undefined || !h.metaInUpper || set.size !== undefined) failGoneLower(ovl, h);
    const fd = openFile(`/proc/self/fd/${h.meta}`, O_RDONLY | O_NOATIME);
    try {
      return setAttrFd(fd, set, caller);
    } finally {
      closeFd(fd);
    }
  }
  setAttrFd(h.fd, set, caller, h.writable === true);
}

/**
 * A change through the handle of a lower file whose name is gone: the kernel's overlay copies the
 * file up to change it, and the copy's link into its dir meets whatever holds the name now (the
 * whiteout its unlink left, or a new file): EEXIST, nothing changed; ENOENT once that dir is gone
 * too. (The kernel's dentry follows a rename of the dir, as the handle's path does.) A dir made
 * anew at the old one's path holds neither at the name (the kernel's dentry of the old one is
 * dead: ENOENT); one that got a file of that name since is taken for the old one.
 */
export function failGoneLower(ovl: Overlay, h: Handle): never {
  const held = lookupOrNull(ovl, splitPath(h.path)[0])?.isDir === true && lstatRealOrNull(upperPath(ovl, h.path)) !== null;
  return fail(held ? 'EEXIST' : 'ENOENT', h.path);
}

/**
 * setAttrHandle on the upper file open as `fd`; `writable`: it was opened for writing. A size
 * through one that was not (a reader's open, a kept open of a replaced file: replaced-files.ts) is
 * set through /proc/self/fd, as the kernel's overlay truncates the inode its dentry holds whatever
 * its opens are (ftruncate would say EINVAL).
 */
function setAttrFd(fd: number, set: SetAttr, caller: Caller, writable = true): void {
  // No fields: as a rule a passthrough write's file_remove_privs with its kill bits taken out
  // (HANDLE_KILLPRIV_V2; the write never reaches the daemon), or a chown(f, -1, -1) that
  // refuseForeignChown let through. The daemon's chown(-1, -1) as root stamps ctime and kills
  // setuid and group-executable setgid as the VFS does; what it cannot know as root is the
  // caller's group, so a setgid bit without group-execute that the caller's write drops
  // (setattr_should_drop_sgid) goes in dropSetIds.
  if (changesNothing(set)) {
    fchownSync(fd, -1, -1);
    dropSetIds(fd, caller);
    return;
  }
  if (set.uid !== undefined || set.gid !== undefined) fchownSync(fd, set.uid ?? -1, set.gid ?? -1);
  const mode = modeAfter(set, () => fstatReal(fd), caller);
  if (mode !== undefined) fchmodSync(fd, mode & 0o7777);
  if (set.size !== undefined) {
    if (writable) truncateFd(fd, set.size);
    else truncateAt(`/proc/self/fd/${fd}`, set.size);
  }
  if (set.atime !== undefined || set.mtime !== undefined) setTimes(fd, timeSpec(set.atime), timeSpec(set.mtime));
}
