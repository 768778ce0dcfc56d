// Open files: open/create/read/write/fsync/ftruncate/release (no flush: writes go straight to the
// real file, and without the op the kernel stops sending FLUSH at all). A write open (or O_TRUNC)
// copies up first; a read-only open reads the top real file, and switches to the upper copy
// when another process copies the file up later (as the kernel shows new data to an old fd).
import { closeSync, constants, fsyncSync, fdatasyncSync, ftruncateSync, readSync, writeSync } from 'node:fs';
import { openSync } from '../sys/fs-bytes.js';
import { type RealStat, fstatReal } from '../sys/real-stat.js';
import type { FuseOps } from '../sys/fuse-native.js';
import { copyUpOpen, objectKey, upperPath } from './copy-up.js';
import { createAt } from './create.js';
import { fail } from './errno.js';
import type { Handle } from './handles.js';
import { inoOf } from './inode.js';
import { type Node, lookupPath, refuseNonRegularOpen } from './lookup.js';
import type { Overlay } from './overlay.js';
import { protOfUpperFd, refuseSetattr } from './protect.js';
import { reply, replyCount } from './reply.js';
import { openPathFd } from '../sys/fd.js';

const { O_RDONLY, O_RDWR, O_WRONLY, O_TRUNC, O_CREAT, O_EXCL, O_NOCTTY, O_DIRECT, O_NOATIME, O_DIRECTORY } = constants;
const O_ACCMODE = 3;
/** __FMODE_EXEC: the kernel's execve opens with it, and FUSE passes it on in OPEN's flags. */
const FMODE_EXEC = 0x20;
/** Flags that were the kernel's business (create, tty) or cannot work on FUSE's buffers (direct I/O). */
const STRIP = O_CREAT | O_EXCL | O_NOCTTY | O_DIRECT;

export function wantsWrite(flags: number): boolean {
  return (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
}

export const isReadWrite = (flags: number) => (flags & O_ACCMODE) === O_RDWR;
export const isWriteOnly = (flags: number) => (flags & O_ACCMODE) === O_WRONLY;

export function openHandle(ovl: Overlay, path: string, flags: number): number {
  refuseBusyLink(ovl, path, flags);
  return openFileHandle(ovl, path, flags).fh;
}

/**
 * The previous transport's OPEN (fuse-native): libfuse 2.9 gives every name its own node, so the
 * kernel's FUSE client takes two names of one upper file for two inodes and lets an execve of one
 * run while the other is open for writing, or the reverse; the kernel's overlay, whose upper hard
 * links are one inode, refuses with ETXTBSY (deny_write_access). So the daemon refuses it here.
 * (The /dev/fuse transport answers all names of an upper file with one node: the kernel checks.)
 * Lower hard links are separate inodes on the kernel's overlay too (index off): not checked.
 */
function refuseBusyLink(ovl: Overlay, path: string, flags: number): void {
  const exec = (flags & FMODE_EXEC) !== 0;
  if (!exec && !wantsWrite(flags)) return;
  const others = exec ? ovl.handles.writing() : ovl.handles.executing();
  if (others.size === 0) return;
  const top = lookupPath(ovl, path).hits[0]!;
  if (top.layer.upper) refuseHeld(ovl, others, top.st, path);
}

/**
 * A size change of upper file `st` by a name other than the one a program runs from (fuse-native;
 * see refuseBusyLink): without atomic O_TRUNC the kernel strips O_TRUNC from OPEN and truncates by
 * SETATTR, which found a running program's other name unguarded (its data was lost).
 */
export function refuseTruncateOfRunning(ovl: Overlay, st: RealStat, path: string): void {
  const running = ovl.handles.executing();
  if (running.size > 0) refuseHeld(ovl, running, st, path);
}

/**
 * ETXTBSY if one of handles `fhs` is open on upper file `st`. Not only while it has other names:
 * a name removed (libfuse hides it, then it goes) leaves the file with one, still running. The
 * same name's handles the kernel refuses itself with the same errno.
 */
function refuseHeld(ovl: Overlay, fhs: ReadonlySet<number>, st: RealStat, path: string): void {
  const key = objectKey(st);
  for (const fh of fhs) {
    const h = ovl.handles.get(fh)!;
    if (h.upper && objectKey(fstatReal(h.fd)) === key) fail('ETXTBSY', path);
  }
}

/**
 * A handle of merged `path` opened with `flags`, and the stat of its fd when already taken (a
 * copy-up that handed over its copy's fd: the open reply needs no fstat of its own).
 */
export function openFileHandle(ovl: Overlay, path: string, flags: number): { fh: number; st: RealStat | null } {
  if (wantsWrite(flags)) {
    const up = copyUpOpen(ovl, path, flags & ~STRIP);
    const fd = up.fd ?? openSync(upperPath(ovl, path), flags & ~STRIP);
    const fh = ovl.handles.add({ fd, path, upper: true, lowerKey: null, ino: inoOf(ovl, up.node), extraFds: [], writable: true, readWrite: isReadWrite(flags), writeOnly: isWriteOnly(flags) });
    return { fh, st: up.st };
  }
  const node = lookupPath(ovl, path);
  const top = node.hits[0]!;
  refuseNonRegularOpen(top.st, path);
  // A metacopy file is read from its data file, and stat'ed as itself (Handle.meta).
  if (node.dataOnly === 'missing') fail('ENOENT', `${path}: data-only layers hold no data file`);
  if (node.dataOnly === 'lazy') ovl.dataLoaded.add(path);
  const src = node.data ?? top;
  // Reading through the overlay never updates a lower file's atime (the kernel's behaviour).
  const fd = openSync(src.real, (flags & ~STRIP) | (src.layer.upper ? 0 : O_NOATIME));
  const lowerKey = src.layer.upper ? null : objectKey(src.st);
  const h: Handle = { fd, path, upper: src.layer.upper, lowerKey, ino: inoOf(ovl, node), extraFds: [], exec: (flags & FMODE_EXEC) !== 0 };
  if (node.data) {
    h.meta = openPathFd(top.real);
    h.metaInUpper = top.layer.upper;
  }
  return { fh: ovl.handles.add(h), st: null };
}

/**
 * A new handle of the file open as `fh` whose name is gone (an unlinked or O_TMPFILE file opened
 * again through /proc/self/fd), opened with `flags` through that handle's fd, as the kernel's
 * overlay opens the real inode it still holds. A lower file whose name went (whited out) cannot
 * be copied up for writing: the kernel's copy-up meets the whiteout, EEXIST (checked on 6.18).
 */
export function reopenHandle(ovl: Overlay, fh: number, flags: number): number {
  const h = current(ovl, fh);
  if (wantsWrite(flags) && !h.upper) fail('EEXIST', h.path);
  const fd = openSync(`/proc/self/fd/${h.fd}`, (flags & ~STRIP) | (h.upper ? 0 : O_NOATIME));
  return ovl.handles.add({ fd, path: h.path, upper: h.upper, lowerKey: h.lowerKey, ino: h.ino, extraFds: [], writable: wantsWrite(flags), readWrite: isReadWrite(flags), writeOnly: isWriteOnly(flags) });
}

/** The handle for `fh` (already on the upper copy if its lower file was copied up: followCopyUp). */
export function current(ovl: Overlay, fh: number): Handle {
  return ovl.handles.get(fh) ?? fail('EBADF', String(fh));
}

/** A file just created: its handle, its merged node and the stat of its fd (for the entry and open replies). */
export interface Created {
  fh: number;
  node: Node;
  st: RealStat;
}

/**
 * O_CREAT|O_EXCL of a new file at merged `path`, opened with `flags`. The node is built from
 * the new fd's fstat rather than looked up again: it is a plain upper file we just made, so no
 * whiteout xattr, no origin (its inode number is its own) and nothing below it to search.
 */
export function createFileHandle(ovl: Overlay, path: string, mode: number, flags: number, nameFree = false, umask?: number): Created {
  const real = upperPath(ovl, path);
  let fd = -1;
  let madeAt = '';
  let st: RealStat | null = null;
  let owned = false;
  try {
    createAt(ovl, path, {
      make: (at, m) => {
        fd = openSync(at, O_CREAT | O_EXCL | (flags & ~STRIP), m);
        madeAt = at;
      },
      mode,
      umask,
      nameFree,
      ownedBy: (uid, gid) => {
        st = fstatReal(fd);
        return (owned = st.uid === uid && st.gid === gid);
      },
    });
    // A chown, or a rename over a whiteout, came after that stat (ctime): take it again.
    if (!st || !owned || madeAt !== real) st = fstatReal(fd);
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    throw err;
  }
  const fresh: RealStat = st;
  const node: Node = { path, hits: [{ layer: ovl.stack.upper!, real, st: fresh, opaque: 'none' }], isDir: false, fresh: true };
  const ino = ovl.inos.of(fresh.ino, ovl.stack.upper!);
  ovl.originInos.set(fresh, ino);
  const fh = ovl.handles.add({ fd, path, upper: true, lowerKey: null, ino, extraFds: [], writable: wantsWrite(flags), readWrite: isReadWrite(flags), writeOnly: isWriteOnly(flags) });
  return { fh, node, st: fresh };
}

/** O_CREAT|O_EXCL of a new file at merged `path`, opened with `flags`; returns its handle. */
export function createHandle(ovl: Overlay, path: string, mode: number, flags: number): number {
  return createFileHandle(ovl, path, mode, flags).fh;
}

/**
 * fsync(2) (or fdatasync) of handle `fh` as the kernel's ovl_fsync: only an upper file is synced
 * (a lower one is left alone "for fear of receiving EROFS"), and nothing on a `volatile` mount
 * (ovl_sync_status; the kernel would still report a writeback error of the upper since the mount,
 * which ovl-fuse does not track).
 */
export function syncHandle(ovl: Overlay, fh: number, datasync: boolean): void {
  const fd = handleSyncFd(ovl, fh);
  if (fd < 0) return;
  if (datasync) fdatasyncSync(fd);
  else fsyncSync(fd);
}

/** The fd syncHandle syncs (the handle's own); -1 when it syncs nothing. */
export function handleSyncFd(ovl: Overlay, fh: number): number {
  const h = current(ovl, fh);
  return !h.upper || ovl.cfg.volatile ? -1 : h.fd;
}

/**
 * fsync(2) (or fdatasync) of merged dir `path` as the kernel's ovl_dir_fsync: its upper copy if it
 * has one now (also when it was copied up after the dir was opened), nothing for a dir only in the
 * lowers, and nothing on a `volatile` mount.
 */
export function syncDir(ovl: Overlay, path: string, datasync: boolean): void {
  const fd = dirSyncFd(ovl, path);
  if (fd < 0) return;
  try {
    if (datasync) fdatasyncSync(fd);
    else fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The dir syncDir syncs, opened (the caller closes it); -1 when it syncs nothing. */
export function dirSyncFd(ovl: Overlay, path: string): number {
  if (ovl.cfg.volatile) return -1;
  const top = lookupPath(ovl, path).hits[0]!;
  return top.layer.upper ? openSync(top.real, O_RDONLY | O_DIRECTORY) : -1;
}

/** Close a handle's fds (release). */
export function releaseHandle(ovl: Overlay, fh: number): void {
  const h = ovl.handles.remove(fh);
  if (!h) return;
  for (const fd of [h.fd, ...h.extraFds]) closeSync(fd);
  if (h.meta !== undefined) closeSync(h.meta);
}

/** How long a request that would be ETXTBSY waits for RELEASEs sent before it (settledReply). */
const SETTLE_MS = 10;

/**
 * Reply with `serve`'s value once `refuse` lets it through. A request `refuse` finds ETXTBSY is
 * checked once more after SETTLE_MS: libfuse's threads hand requests to JS out of the order the
 * kernel sent them, so the RELEASE of a program that just exited (or of an fd just closed) may
 * still be queued behind this OPEN or truncate, which must not be ETXTBSY for it. Only a
 * conflicting request waits; any other refusal is the reply at once.
 */
export function settledReply<T>(op: string, cb: (err: number, value?: T) => void, refuse: () => void, serve: () => T): void {
  try {
    refuse();
  } catch (err) {
    if ((err as { code?: string }).code === 'ETXTBSY') {
      setTimeout(() => reply(op, cb, () => {
        refuse();
        return serve();
      }), SETTLE_MS);
    } else {
      reply(op, cb, () => {
        throw err;
      });
    }
    return;
  }
  reply(op, cb, serve);
}

export function fileOps(ovl: Overlay): Partial<FuseOps> {
  return {
    open(path, flags, cb) {
      settledReply('open', cb, () => refuseBusyLink(ovl, path, flags), () => openFileHandle(ovl, path, flags).fh);
    },
    create(path, mode, flags, cb) {
      reply('create', cb, () => createHandle(ovl, path, mode, flags));
    },
    read(path, fh, buf, len, pos, cb) {
      replyCount('read', cb, () => readSync(current(ovl, fh).fd, buf, 0, len, pos));
    },
    write(path, fh, buf, len, pos, cb) {
      replyCount('write', cb, () => writeSync(current(ovl, fh).fd, buf, 0, len, pos));
    },
    fsync(path, datasync, fh, cb) {
      reply('fsync', cb, () => syncHandle(ovl, fh, datasync !== 0));
    },
    ftruncate(path, fh, size, cb) {
      const refuse = () => {
        const h = current(ovl, fh);
        if (!h.upper) return;
        // do_ftruncate refuses an append-only file (the /dev/fuse transport: ll-attr.ts).
        refuseSetattr(protOfUpperFd(ovl, h.fd), { size, fh }, path ?? h.path);
        refuseTruncateOfRunning(ovl, fstatReal(h.fd), path ?? h.path);
      };
      settledReply('ftruncate', cb, refuse, () => ftruncateSync(current(ovl, fh).fd, size));
    },
    release(path, fh, cb) {
      reply('release', cb, () => releaseHandle(ovl, fh));
    },
  };
}
