// File requests of the node-based transport: GETATTR/SETATTR, OPEN/CREATE, READ/WRITE, FLUSH,
// FSYNC, RELEASE. Handles are the core's (a read-only handle on a lower file follows a copy-up
// made later); each remembers its node, so an unlinked file is still served through its fd.
import { constants } from 'node:fs';
import { type RealStat, fstatReal } from '../sys/real-stat.js';
import { writeAt } from '../sys/offsets.js';
import { NOWAIT_REFUSED, readCached, readToEnd } from '../sys/read-cached.js';
import { setTimes } from '../sys/index.js';
import { readStampsAtime } from './read-atime.js';
import { copyUpTruncated, objectKey } from './copy-up.js';
import { lookupPath } from './lookup.js';
import { fail } from './errno.js';
import { changesNothing, dropSetIds, exactSize, handleAttr, refuseForeignChown, setAttrHandle, setAttrPath } from './ll-attr.js';
import { type LlCore, nameGone } from './ll-core.js';
import type { NodeRec } from './node-table.js';
import { protOfUpperFd, refuseSetattr } from './protect.js';
import { createFileHandle, current, openFileHandle, releaseHandle, reopenHandle, syncHandle, wantsWrite } from './ops-file.js';
import { type AttrReply, type Entry, FOPEN_NOFLUSH, type Opened, READ_ASIDE, type ReadAside, type SetAttr, type U64 } from './session/filesystem.js';

const { O_RDONLY, O_TRUNC } = constants;
const O_ACCMODE = 3;
/** __FMODE_EXEC: the kernel's execve opens with it, and FUSE passes it on in OPEN's flags. */
const FMODE_EXEC = 0x20;

/** A handle of this node (a stale or foreign fh is not trusted: the kernel sends fh only for files). */
export function ownHandle(core: LlCore, rec: NodeRec, fh: number | null | undefined): number | undefined {
  if (fh === null || fh === undefined) return undefined;
  return core.ovl.handles.get(fh)?.nodeid === rec.id ? fh : undefined;
}

export function getAttr(core: LlCore, nodeid: number, fh: number | null): AttrReply {
  const rec = core.rec(nodeid);
  // fstat follows a copy-up made since the open, as the kernel shows it to an old fd; a node open
  // in the upper is answered from that fd (the kernel's chown asks for attributes just before).
  const own = ownHandle(core, rec, fh) ?? core.io.upperHandle(rec);
  const attr = own !== undefined ? handleAttr(core.ovl, own) : core.attrOf(rec);
  // A handle that followed a copy-up makes the node upper before any lookup says so (attrMs).
  if (own !== undefined && core.ovl.handles.get(own)!.upper) rec.upper = true;
  return { attrValidMs: core.attrMs(rec), attr };
}

/**
 * The open upper file a SETATTR or GETATTR of `rec` can use instead of its path: the caller's own
 * handle (`fh`), else a passthrough open of the node, which is the upper inode the kernel holds.
 * Not for a size change without the caller's handle: that handle may be read-only.
 */
function openUpper(core: LlCore, rec: NodeRec, fh: number | null | undefined, size = false): number | undefined {
  const own = ownHandle(core, rec, fh);
  if (own !== undefined) return core.ovl.handles.get(own)!.upper ? own : undefined;
  return size ? undefined : core.io.upperHandle(rec);
}

export function setAttr(core: LlCore, nodeid: number, set: SetAttr): AttrReply {
  const rec = core.rec(nodeid);
  const path = core.nodePath(rec);
  const removed = path === null ? core.removed.setAttr(rec.id, set) : undefined;
  if (removed !== undefined) return { attrValidMs: core.attrMs(rec), attr: removed };
  // Before either route: a file held open (even read-only, even by the caller) must not let a
  // chown(f, -1, -1) through that the kernel's overlay refuses; one open for writing may be the
  // request's source (its write's file_remove_privs).
  const fieldless = changesNothing(set) ? core.attrOf(rec) : undefined;
  // truncate(2) by another name of a running program's upper file (see heldAs).
  if (set.size !== undefined && set.fh === undefined && heldAs(core, rec, 'exec')) fail('ETXTBSY', path ?? `node ${nodeid}`);
  if (fieldless) refuseForeignChown(path ?? `node ${nodeid}`, fieldless, core.ovl.caller(), () => core.handleOf(rec, true) !== undefined);
  // Open in the upper (tar's futimens, fchown, fchmod on the file it just wrote): change it
  // through the fd and answer from its fstat, with no walk of the merged path before and after.
  const open = path === null ? undefined : openUpper(core, rec, set.fh, set.size !== undefined);
  if (path === null || open !== undefined) {
    const fh = open ?? ownHandle(core, rec, set.fh) ?? core.handleOf(rec) ?? nameGone(rec);
    const h = current(core.ovl, fh);
    if (h.upper) refuseSetattr(protOfUpperFd(core.ovl, h.fd), set, path ?? `node ${nodeid}`);
    setAttrHandle(core.ovl, h, set, core.ovl.caller());
    const attr = handleAttr(core.ovl, fh);
    const wasLinked = rec.nlink > 1;
    core.remember(rec, attr);
    if (wasLinked || attr.nlink > 1) core.invalidateAliases(attr.ino, rec);
    return { attrValidMs: core.attrMs(rec), attr };
  }
  // The attributes before the change only when a dropped set-id bit depends on them: the aliases
  // to tell are those of the inode the kernel was last told of (LlCore.remember).
  let before = fieldless;
  // A copy-up on the way need not drop the attributes this reply brings (LlCore.copiedUp); if
  // the change then fails, the reply brings none, so they go after all.
  core.attrsInReply = rec.id;
  try {
    setAttrPath(core.ovl, path, set, () => (before ??= core.attrOf(rec)));
  } catch (err) {
    core.attrsChanged(rec.id);
    throw err;
  } finally {
    core.attrsInReply = 0;
  }
  if (rec.nlink > 1 || (before?.nlink ?? 0) > 1) core.invalidateAliases(before?.ino ?? rec.ino, rec);
  return { attrValidMs: core.attrMs(rec), attr: core.attrOf(rec) };
}

/**
 * FOPEN_KEEP_CACHE only while the file's mtime and size are those of its previous open (auto).
 * FOPEN_NOFLUSH always: writes go straight to the real file (or pass through), so a close has
 * nothing to push out and the FLUSH request each close() would cost is a round trip for nothing
 * (POSIX locks are the kernel's own: LK/SETLK answer ENOSYS).
 */
export function opened(core: LlCore, rec: NodeRec, fh: number, st = fstatReal(core.ovl.handles.get(fh)!.fd)): Opened {
  const h = core.ovl.handles.get(fh)!;
  core.ovl.handles.setNode(fh, rec.id);
  if (core.readsWaitOn.size > 0 && core.readsWaitOn.has(st.dev)) h.readsWait = true;
  const size = exactSize(st.size);
  const unchanged = rec.openMtimeNs === st.mtimeNs && rec.openSize === size;
  rec.openMtimeNs = st.mtimeNs;
  rec.openSize = size;
  // A metacopy file whose read is due to stamp its atime is opened for direct I/O: every read
  // reaches the daemon (readFile), even one of no bytes (a cached read at the size the client
  // knows sends none), as every read reaches the kernel's overlay.
  const stamp = h.metaInUpper === true && metacopyStampDue(core, h.meta!);
  const io = core.io.open(core.session, rec, fh, h, sameRealFile(core, rec, core.aliasesOf(rec), st), core.policy.openFlags(unchanged), st, stamp);
  return { fh, ...io, openFlags: io.openFlags | FOPEN_NOFLUSH };
}

/**
 * The hard-link aliases (one overlay inode number) whose open files are the real file `st` is:
 * those the kernel's io-mode rules must see together. Names of one overlay inode number are not
 * always one real file: a lower hard link copied up under one name is a new upper file (index
 * off), and each name copied up gets its own, while all keep the lower's inode number. An open of
 * another such name must not keep this one from passing through (a mapping of it would then reach
 * the daemon as WRITEs; found by ovl-check). Asked only for a node with other names.
 */
function sameRealFile(core: LlCore, rec: NodeRec, aliases: Iterable<NodeRec>, st: RealStat): NodeRec[] {
  return [...aliases].filter((r) => {
    if (r === rec) return false;
    for (const fh of core.ovl.handles.onNode(r.id)) {
      const other = fstatReal(core.ovl.handles.get(fh)!.fd);
      if (other.ino === st.ino && other.dev === st.dev) return true;
    }
    return false;
  });
}

export function openFile(core: LlCore, nodeid: number, flags: number, killSuidgid = false): Opened {
  const rec = core.rec(nodeid);
  if (flags & FMODE_EXEC && heldAs(core, rec, 'writer')) fail('ETXTBSY', core.pathOf(rec));
  if (((flags & O_ACCMODE) !== O_RDONLY || flags & O_TRUNC) && heldAs(core, rec, 'exec')) {
    // A lower program's node: the kernel's overlay copies up in its open before its ETXTBSY, and
    // for O_TRUNC the copy holds no data and the lower's times (checked on 6.18).
    if (flags & O_TRUNC) copyUpTruncated(core.ovl, core.pathOf(rec));
    fail('ETXTBSY', core.pathOf(rec));
  }
  const path = core.nodePath(rec);
  if (path === null) {
    // Its name is gone: opened again through /proc/self/fd of an open it still has.
    const own = core.handleOf(rec) ?? nameGone(rec);
    return opened(core, rec, reopenHandle(core.ovl, own, flags));
  }
  const { fh, st } = openOrReopen(core, rec, path, flags);
  // An O_TRUNC open by a caller without CAP_FSETID: the daemon's own truncate (root) kept them,
  // and the kernel drops only size and times of its cached attributes after it.
  const dropped = killSuidgid ? dropSetIds(core.ovl.handles.get(fh)!.fd, core.ovl.caller()) : null;
  const open = opened(core, rec, fh, dropped ?? st ?? undefined);
  // Attributes cached before an O_RDWR passthrough open would outlive its mapping's stores: from
  // now until its release they are not cached (LlCore.attrMs), so drop the ones held.
  if (dropped || core.io.storesUnseen(rec)) core.attrsChanged(nodeid);
  return open;
}

/**
 * openFileHandle, or for a file its layer replaced under the kernel's cached entry by something
 * that is no regular file (ESTALE), a new handle of the file the node still has open, as the
 * kernel's overlay opens the real inode its dentry still holds: an open that walks no name (a
 * reopen through /proc/self/fd, an overlay stacked on this mount) gets no second chance from
 * the VFS's LOOKUP_REVAL retry. Not for writing to a lower file, which would need a copy-up of
 * the file the layer no longer has.
 */
function openOrReopen(core: LlCore, rec: NodeRec, path: string, flags: number): { fh: number; st: RealStat | null } {
  try {
    return openFileHandle(core.ovl, path, flags);
  } catch (err) {
    const own = (err as { code?: string }).code === 'ESTALE' ? core.handleOf(rec) : undefined;
    if (own === undefined || (wantsWrite(flags) && !core.ovl.handles.get(own)!.upper)) throw err;
    return { fh: reopenHandle(core.ovl, own, flags), st: null };
  }
}

/**
 * Whether a program runs from `rec`'s file (`as` 'exec': a handle opened for execve, FMODE_EXEC,
 * held by the kernel until the program exits) or it is open for writing (`as` 'writer'), through
 * this node or another name of the same upper inode. The kernel refuses writing to an executed
 * inode and executing a written one (deny_write_access, ETXTBSY), and its overlay keeps one inode
 * for all upper hard links of a file, so every name counts. Through FUSE the kernel checks only
 * the one node, and a write open of a running program only before OPEN: a read-only O_TRUNC open
 * of it (whose ETXTBSY comes after the open, while ATOMIC_O_TRUNC has OPEN truncate), any write,
 * O_TRUNC or truncate by another name, and an execve by another name of a file open for writing,
 * reach the daemon, which must refuse them itself. Lower hard links are separate inodes on the
 * kernel's overlay (index off): only the same node counts there.
 */
function heldAs(core: LlCore, rec: NodeRec, as: 'exec' | 'writer'): boolean {
  let upper: string | null | undefined;
  const handles = core.ovl.handles;
  for (const fh of as === 'exec' ? handles.executing() : handles.writing()) {
    const h = handles.get(fh)!;
    if (h.nodeid === rec.id) {
      // A writer of the same node: the kernel refuses the execve itself, after this OPEN.
      if (as === 'exec') return true;
      continue;
    }
    if (!h.upper) continue;
    if (upper === undefined) {
      const path = core.nodePath(rec);
      const top = path === null ? null : lookupPath(core.ovl, path).hits[0]!;
      upper = top?.layer.upper && top.st.nlink > 1 ? objectKey(top.st) : null;
    }
    if (upper !== null && objectKey(fstatReal(h.fd)) === upper) return true;
  }
  return false;
}

export function createFile(
  core: LlCore, parent: number, name: string, mode: number, flags: number, umask: number,
): { entry: Entry; opened: Opened } {
  const prec = core.rec(parent);
  // The kernel sends CREATE for a name it holds as negative (just looked up, or cached and kept
  // current by the watcher): no second search of the layers (createAt nameFree).
  const made = createFileHandle(core.ovl, core.childPathOf(prec, name), mode, flags, true, umask);
  const entry = core.entry(prec, name, made.node);
  const rec = core.rec(entry.nodeid);
  const open = opened(core, rec, made.fh, made.st);
  // An O_RDWR passthrough open is counted only now: its attributes are not to be cached either.
  if (core.io.storesUnseen(rec)) entry.attrValidMs = 0;
  return { entry, opened: open };
}

/**
 * READ of handle `fh`. With `aside` (the /dev/fuse loop's read threads), the page cache is asked
 * first (readCached): data it lacks is handed over, so that the disk holds only this READ's caller
 * (READ_ASIDE), not every request of the mount. A read of a metacopy file in the upper stamps that
 * file's atime when due, after the read here, as the hand-over (whose read may end later) there.
 */
export function readFile(core: LlCore, fh: number, offset: U64, size: number, into: Buffer, aside?: ReadAside): number {
  const h = current(core.ovl, fh);
  const meta = h.metaInUpper === true ? h.meta : undefined;
  if (aside !== undefined && h.readsWait !== true && typeof offset === 'number') {
    const n = readCached(h.fd, into, 0, size, offset);
    if (n >= 0) return stamped(core, meta, n);
    if (n === NOWAIT_REFUSED) {
      h.readsWait = true;
      core.readsWaitOn.add(fstatReal(h.fd).dev);
    } else if (aside(h.fd, offset, size)) return stamped(core, meta, READ_ASIDE);
  }
  return stamped(core, meta, readToEnd(h.fd, into, 0, size, offset));
}

/** `n`, once the upper metacopy file open as O_PATH fd `meta` (if any) has its atime stamped when due. */
function stamped(core: LlCore, meta: number | undefined, n: number): number {
  if (meta !== undefined && metacopyStampDue(core, meta)) stampAtime(meta);
  return n;
}

/**
 * Would a read of the metacopy file open as O_PATH fd `meta` stamp its atime? The kernel's
 * overlay reads the data file below (O_NOATIME) and then stamps the overlay inode's, that is the
 * upper metacopy file's, atime under relatime (ovl_file_accessed, ovl_update_time); a metacopy
 * file in a lower layer has no upper inode and is never stamped.
 */
function metacopyStampDue(core: LlCore, meta: number): boolean {
  return readStampsAtime(fstatReal(meta), core.io.upperAtime, Math.floor(Date.now() / 1000));
}

/** atime of the file open as O_PATH fd `fd` set to now (through its /proc magic link: futimens refuses O_PATH). */
function stampAtime(fd: number): void {
  setTimes(`/proc/self/fd/${fd}`, 'now', 'omit', { follow: true });
}

export function writeFile(core: LlCore, nodeid: number, fh: number, offset: U64, data: Buffer, killSuidgid = false): number {
  const fd = current(core.ovl, fh).fd;
  // A write by a caller without CAP_FSETID (the daemon's own, as root, would keep them).
  if (killSuidgid && dropSetIds(fd, core.ovl.caller())) core.attrsChanged(nodeid);
  const n = writeAt(fd, data, offset);
  const rec = core.table.get(nodeid);
  // Data, size and mtime of the inode changed under its other names (other kernel inodes) too.
  if (rec && rec.nlink > 1) core.invalidateAliases(rec.ino, rec, true);
  return n;
}

export function syncFile(core: LlCore, fh: number, datasync: boolean): void {
  syncHandle(core.ovl, fh, datasync);
}

export function releaseFile(core: LlCore, fh: number): void {
  const nodeid = core.ovl.handles.get(fh)?.nodeid;
  const mapped = core.io.release(core.session, fh);
  releaseHandle(core.ovl, fh);
  // Stores through a shared mapping of it may have moved its mtime and ctime (IoModes.storesUnseen);
  // attributes given with a timeout of 0 still serve until the kernel's next clock tick.
  if (mapped && nodeid !== undefined) core.attrsChanged(nodeid);
}
