// The overlay as a low-level (node id) FUSE filesystem: the contract of src/fuse/session served by
// the same path-based core as the fuse-native transport. Node ids map to merged paths through the
// node table; each request sets the caller (new objects belong to it), runs the core, and keeps
// the table and the kernel's caches in step (ll-cache.ts says what the kernel may keep, per mode).
import { isMainThread } from 'node:worker_threads';
import type { OverlayConfig } from '../format/index.js';
import { overlayStatfs, readLink } from './attrs.js';
import { LlCore, forgetCached, nameGone } from './ll-core.js';
import { copyFileRange, fallocateFile, linkFile, seekFile, tmpfileEntry } from './ll-space.js';
import { DirHandles } from './dir-handles.js';
import { openDir, readDir } from './ll-dirs.js';
import { statxAttr } from './ll-statx.js';
import { inGroupOrCapable } from './caller-creds.js';
import { fail } from './errno.js';
import { createFile, getAttr, openFile, readFile, releaseFile, setAttr, syncFile, writeFile } from './ll-files.js';
import { failGoneLower } from './ll-attr.js';
import {
  lookupEntry, mkdirEntry, mknodEntry, removeName, renameEntry, symlinkEntry,
} from './ll-names.js';
import { type CacheMode, Overlay } from './overlay.js';
import type {
  AttrReply, DirEntry, Entry, LowLevelFs, Opened, ReadAside, RequestContext, Session, SetAttr, Statfs, StatxReply, U64, XattrNames,
} from './session/filesystem.js';
import { FUSE_WRITE_KILL_SUIDGID } from './protocol/constants.js';
import type { InvalTarget } from './watch-inval.js';
import { movedSources } from './watch-redirects.js';
import type { NodeRec } from './node-table.js';
import { shownXattrNames, xattrChangeOnFd, xattrGetOnFd, xattrGetOrNull, xattrList, xattrRemove, xattrSet } from './xattrs.js';
import { current, dirSyncFd, handleSyncFd, syncDir, wantsWrite } from './ops-file.js';
import type { FileattrKind } from '../sys/index.js';
import { fileattrOnFd, mergedFileattr, setFileattrOnUpper, setMergedFileattr } from './fileattr.js';
import type { Covered } from './layers.js';
import { placeLayers } from './submounts.js';

export interface OverlayFsOptions {
  /** A 4-byte SharedArrayBuffer that mirrors the node table's size (root included). */
  nodeCounter?: SharedArrayBuffer;
  /** The mount point: it may lie inside a layer (submounts.ts placeLayers). */
  mountPoint?: string;
  /** Layer dirs the mount covers, with fds opened on them before it (layers.ts coveredDirs). */
  covered?: Covered;
}

export class OverlayFs implements LowLevelFs {
  readonly ovl: Overlay;
  private readonly core: LlCore;
  private readonly dirs = new DirHandles();

  /** Slot 0 receives the node count after every LOOKUP and FORGET (tests watch FORGET from another thread). */
  private readonly nodeCounter: Int32Array | null;

  constructor(cfg: OverlayConfig, cache: CacheMode, opts: OverlayFsOptions = {}) {
    this.ovl = new Overlay(cfg, cache, () => this.core.caller);
    placeLayers(this.ovl.stack, opts.mountPoint, opts.covered);
    this.core = new LlCore(this.ovl, cache);
    this.nodeCounter = opts.nodeCounter ? new Int32Array(opts.nodeCounter) : null;
  }

  /**
   * EROFS on a mount that can never write (OverlayConfig.writable): after a remount rw, which a
   * FUSE mount allows and the kernel's overlay refuses for such a mount, the change is refused here
   * (ops-read-only.ts does the same on fuse-native).
   */
  private refuse(nodeid: number): void {
    if (!this.ovl.cfg.writable) fail('EROFS', `node ${nodeid}`);
  }

  private publishCount(): void {
    if (this.nodeCounter) Atomics.store(this.nodeCounter, 0, this.core.table.size);
  }

  init(session: Session): void {
    this.core.session = session;
    // A copy-up's data copy and its fsync let the session serve others meanwhile; they leave this
    // request's state as it was.
    if (session.meanwhile) {
      const meanwhile = session.meanwhile.bind(session);
      this.ovl.duringCopy = () => this.keepingRequest(meanwhile);
    }
    if (session.syncServing) {
      const sync = session.syncServing.bind(session);
      this.ovl.syncCopy = (fd, path) => this.keepingRequest(() => sync(fd, path));
    }
    const reads = session.copyReads;
    if (reads) {
      // `ready` without a request's state saved: nearly every chunk is in memory.
      this.ovl.copyReads = {
        begin: reads.begin.bind(reads),
        chunk: (offset, size) => {
          if (!reads.ready(offset, size)) this.keepingRequest(() => reads.serve(offset, size));
        },
        finish: reads.finish.bind(reads),
      };
    }
    if (session.prepareSync) this.ovl.prepareSync = session.prepareSync.bind(session);
  }

  /** Run `fn`, which serves other requests, and restore this request's state after it. */
  private keepingRequest(fn: () => void): void {
    const restore = this.core.saveRequest();
    try {
      fn();
    } finally {
      restore();
    }
  }

  destroy(): void {
    for (const fh of [...this.ovl.handles.entries()].map(([fh]) => fh)) releaseFile(this.core, fh);
    this.core.io.closeIdle(this.core.session);
    this.dirs.clear();
  }

  // Hooks of the layer watcher (watch-start.ts, watch-inval.ts): it runs between requests,
  // from the Session.watchFd callback, and tells the kernel itself what changed in the layers.

  /**
   * The watcher runs: cache=auto may let the kernel keep file attributes, negative entries and
   * listings for 60 s, because every change in a layer now reaches the kernel as an invalidation.
   */
  setWatching(on: boolean): void {
    this.core.policy.watching = on;
    // Only the watcher's events keep the lower index current; cache=never promises every layer asked.
    // With aufs_whiteouts a layer without the name may still end its lookup (`.wh.NAME`): every
    // layer is asked.
    this.ovl.lowerIndex.enabled = on && this.core.policy.mode !== 'never' && this.ovl.cfg.aufsWhiteouts !== true;
  }

  /** What the watcher invalidates against: the node table, and the core's own caches. */
  watchTarget(): InvalTarget {
    const target = {
      table: this.core.table,
      session: this.core.watchSession(),
      forget: (path: string | null, node: NodeRec | undefined, layer?: number) => forgetCached(this.core, path, node, layer),
      tarWhiteouts: this.ovl.cfg.aufsWhiteouts === true,
      negatives: this.core.negatives,
    };
    return this.ovl.follow ? { ...target, movedSources: () => movedSources(this.ovl, this.core.table) } : target;
  }

  /** Nodes the kernel holds (the root included): 1 once every lookup was given back. */
  get nodeCount(): number {
    return this.core.table.size;
  }

  lookup(ctx: RequestContext, parent: number, name: string): Entry {
    this.core.enter(ctx);
    const entry = lookupEntry(this.core, parent, name);
    this.publishCount();
    return entry;
  }

  forget(nodeid: number, nlookup: number): void {
    this.core.table.forget(nodeid, nlookup);
    this.publishCount();
  }

  getattr(ctx: RequestContext, nodeid: number, fh: number | null): AttrReply {
    this.core.enter(ctx);
    return getAttr(this.core, nodeid, fh);
  }

  statx(ctx: RequestContext, nodeid: number, fh: number | null): StatxReply {
    this.core.enter(ctx);
    return statxAttr(this.core, nodeid, fh);
  }

  setattr(ctx: RequestContext, nodeid: number, set: SetAttr): AttrReply {
    this.core.enter(ctx);
    this.refuse(nodeid);
    return setAttr(this.core, nodeid, set);
  }

  readlink(ctx: RequestContext, nodeid: number): Buffer {
    this.core.enter(ctx);
    return readLinkOf(this.core, nodeid);
  }

  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number): Entry {
    this.core.enter(ctx, parent);
    this.refuse(parent);
    return mknodEntry(this.core, parent, name, mode, rdev, umask);
  }

  mkdir(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): Entry {
    this.core.enter(ctx, parent);
    this.refuse(parent);
    return mkdirEntry(this.core, parent, name, mode, umask);
  }

  symlink(ctx: RequestContext, parent: number, name: string, target: Buffer): Entry {
    this.core.enter(ctx, parent);
    this.refuse(parent);
    return symlinkEntry(this.core, parent, name, target);
  }

  link(ctx: RequestContext, nodeid: number, newParent: number, newName: string): Entry {
    this.core.enter(ctx, newParent);
    this.refuse(newParent);
    return linkFile(this.core, nodeid, newParent, newName);
  }

  unlink(ctx: RequestContext, parent: number, name: string): void {
    this.core.enter(ctx, parent);
    this.refuse(parent);
    removeName(this.core, parent, name, false);
  }

  rmdir(ctx: RequestContext, parent: number, name: string): void {
    this.core.enter(ctx, parent);
    this.refuse(parent);
    removeName(this.core, parent, name, true);
  }

  rename(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void {
    this.core.enter(ctx, parent, newParent);
    this.refuse(newParent);
    renameEntry(this.core, parent, name, newParent, newName, flags);
  }

  open(ctx: RequestContext, nodeid: number, flags: number, killSuidgid = false): Opened {
    this.core.enter(ctx);
    if (wantsWrite(flags)) this.refuse(nodeid);
    return openFile(this.core, nodeid, flags, killSuidgid);
  }

  create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number, umask: number): { entry: Entry; opened: Opened } {
    this.core.enter(ctx, parent);
    this.refuse(parent);
    return createFile(this.core, parent, name, mode, flags, umask);
  }

  read(ctx: RequestContext, nodeid: number, fh: number, offset: U64, size: number, into: Buffer, aside?: ReadAside): number {
    return readFile(this.core, fh, offset, size, into, aside);
  }

  write(ctx: RequestContext, nodeid: number, fh: number, offset: U64, data: Buffer, writeFlags = 0): number {
    this.core.enter(ctx);
    return writeFile(this.core, nodeid, fh, offset, data, (writeFlags & FUSE_WRITE_KILL_SUIDGID) !== 0);
  }

  flush(_ctx: RequestContext, _nodeid: number, _fh: number): void {
    // Writes go straight to the real file: there is nothing buffered to push out at close.
  }

  fsync(ctx: RequestContext, nodeid: number, fh: number, datasync: boolean): void {
    syncFile(this.core, fh, datasync);
  }

  syncFd(ctx: RequestContext, nodeid: number, fh: number, dir: boolean): number {
    if (!dir) return handleSyncFd(this.core.ovl, fh);
    this.core.enter(ctx);
    return dirSyncFd(this.core.ovl, this.core.pathOf(this.core.rec(nodeid)));
  }

  fsyncdir(ctx: RequestContext, nodeid: number, _fh: number, datasync: boolean): void {
    this.core.enter(ctx);
    syncDir(this.core.ovl, this.core.pathOf(this.core.rec(nodeid)), datasync);
  }

  release(_ctx: RequestContext, _nodeid: number, fh: number, _flags = 0): void {
    releaseFile(this.core, fh);
  }

  fallocate(ctx: RequestContext, nodeid: number, fh: number, offset: U64, length: U64, mode: number): void {
    this.core.enter(ctx);
    fallocateFile(this.core, nodeid, fh, offset, length, mode);
  }

  lseek(_ctx: RequestContext, _nodeid: number, fh: number, offset: U64, whence: number): U64 {
    return seekFile(this.core, fh, offset, whence);
  }

  copyFileRange(
    ctx: RequestContext, _nodeIn: number, fhIn: number, offIn: U64,
    nodeOut: number, fhOut: number, offOut: U64, len: U64, flags: number,
  ): number {
    this.core.enter(ctx);
    return copyFileRange(this.core, fhIn, offIn, nodeOut, fhOut, offOut, len, flags);
  }

  tmpfile(ctx: RequestContext, parent: number, mode: number, flags: number, umask: number): { entry: Entry; opened: Opened } {
    this.core.enter(ctx);
    this.refuse(parent);
    return tmpfileEntry(this.core, parent, mode, flags, umask);
  }

  opendir(ctx: RequestContext, nodeid: number, _flags = 0): Opened {
    this.core.enter(ctx);
    return openDir(this.core, this.dirs, nodeid);
  }

  readdir(ctx: RequestContext, nodeid: number, fh: number, offset: number): Iterable<DirEntry> {
    this.core.enter(ctx);
    return readDir(this.core, this.dirs, nodeid, fh, offset, ctx.pid);
  }

  releasedir(ctx: RequestContext, nodeid: number, fh: number): void {
    this.dirs.remove(fh);
  }

  statfs(_ctx: RequestContext, _nodeid: number): Statfs {
    const s = overlayStatfs(this.ovl);
    return { blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, bsize: s.bsize, namelen: s.namemax, frsize: s.bsize };
  }

  setxattr(ctx: RequestContext, nodeid: number, name: string, value: Buffer, flags: number, killSgid: boolean): void {
    this.core.enter(ctx);
    this.refuse(nodeid);
    const fd = this.unnamedUpperFd(nodeid);
    if (fd !== undefined) return xattrChangeOnFd(this.ovl, fd, name, value, flags, killSgid);
    if (this.core.removed.changeXattr(nodeid, name, value, flags)) return;
    xattrSet(this.ovl, this.core.pathOf(this.core.rec(nodeid)), name, value, flags, killSgid);
  }

  /**
   * The upper file a node whose name is gone (unlinked, an O_TMPFILE not linked yet) still has
   * open: its xattrs change there, as the kernel's overlay changes the upper inode it holds. A
   * lower one's copy-up meets what holds its name now (failGoneLower: EEXIST, or ENOENT).
   */
  private unnamedUpperFd(nodeid: number, removing?: string): number | undefined {
    const fh = this.core.unnamedHandle(this.core.rec(nodeid));
    if (fh === undefined) return undefined;
    const h = current(this.ovl, fh);
    if (h.upper) return h.fd;
    // A metacopy file's handle (Handle.meta): by path as before, ENOENT.
    if (h.meta !== undefined) return undefined;
    // Removing what the lower file lacks is ENODATA before any copy-up (ovl_xattr_set).
    if (removing !== undefined && xattrGetOnFd(this.ovl, h.fd, removing) === null) fail('ENODATA', h.path);
    return failGoneLower(this.ovl, h);
  }

  getxattr(ctx: RequestContext, nodeid: number, name: string): Buffer | null {
    // Its lookup may copy up (a merged dir's origin fixed): no earlier request's names (enter).
    this.core.enter(ctx);
    const rec = this.core.rec(nodeid);
    // Open for passthrough, the node's upper file is at hand: read it through that fd, as the
    // kernel's overlay reads the real inode it holds (ovl_xattr_get), with no walk of the merged
    // path. The kernel asks `security.capability` before every write (file_remove_privs).
    // A node whose name is gone (unlinked, O_TMPFILE) is read through an open it still has.
    const fh = this.core.io.upperHandle(rec) ?? this.core.unnamedHandle(rec);
    if (fh !== undefined) return xattrGetOnFd(this.ovl, current(this.ovl, fh).fd, name);
    // A dir removed while held (its cwd: the FUSE client's permission checks read its ACL).
    const removed = this.core.removed.getXattr(nodeid, name);
    if (removed !== undefined) return removed;
    return xattrGetOrNull(this.ovl, this.core.pathOf(rec), name);
  }

  listxattr(ctx: RequestContext, nodeid: number): XattrNames {
    // The caller decides whether trusted.* names are listed.
    this.core.enter(ctx);
    const rec = this.core.rec(nodeid);
    const fh = this.core.unnamedHandle(rec);
    const removed = fh === undefined ? this.core.removed.listXattrs(nodeid) : undefined;
    if (removed !== undefined) return shownXattrNames(this.ovl, removed);
    return xattrList(this.ovl, fh === undefined ? this.core.pathOf(rec) : current(this.ovl, fh).fd);
  }

  fileattr(ctx: RequestContext, nodeid: number, fh: number, type: 'file' | 'dir', kind: FileattrKind): Buffer {
    this.core.enter(ctx);
    // A file's OPEN handle is on its real copy (the upper one once copied up, followCopyUp), also
    // when its name is gone (unlinked, O_TMPFILE): ask through it, as the kernel's overlay asks
    // the real inode it holds. A dir's OPENDIR keeps no fd: by path.
    const h = type === 'file' ? this.ovl.handles.get(fh) : undefined;
    if (h !== undefined) return fileattrOnFd(this.ovl, h.fd, h.upper, kind);
    return mergedFileattr(this.ovl, this.core.pathOf(this.core.rec(nodeid)), kind);
  }

  setFileattr(ctx: RequestContext, nodeid: number, fh: number, type: 'file' | 'dir', kind: FileattrKind, value: Buffer): void {
    this.core.enter(ctx);
    this.refuse(nodeid);
    const rec = this.core.rec(nodeid);
    const path = this.core.nodePath(rec);
    // By name, which copies up; a file whose name is gone only through its handle's upper copy.
    if (path !== null) setMergedFileattr(this.ovl, path, kind, value);
    else {
      const h = type === 'file' ? this.ovl.handles.get(fh) : undefined;
      if (h === undefined) nameGone(rec);
      if (!h.upper) failGoneLower(this.ovl, h);
      setFileattrOnUpper(this.ovl, current(this.ovl, fh).fd, kind, value, `node ${nodeid}`);
    }
    // The upper's ctime moved (and the node's flags): no request brings the attributes back.
    this.core.attrsChanged(nodeid);
  }

  removexattr(ctx: RequestContext, nodeid: number, name: string): void {
    this.core.enter(ctx);
    this.refuse(nodeid);
    const caller = this.ovl.caller();
    const fd = this.unnamedUpperFd(nodeid, name);
    if (fd !== undefined) return xattrChangeOnFd(this.ovl, fd, name, null, 0, (owner) => !inGroupOrCapable(caller, owner));
    if (this.core.removed.changeXattr(nodeid, name, null)) return;
    xattrRemove(this.ovl, this.core.pathOf(this.core.rec(nodeid)), name, (owner) => inGroupOrCapable(caller, owner));
  }
}

function readLinkOf(core: LlCore, nodeid: number): Buffer {
  return readLink(core.ovl, core.pathOf(core.rec(nodeid)));
}

/**
 * The filesystem H1's session worker serves. The process umask must be 0 (modes arrive with the
 * caller's umask applied): set here on the main thread; a worker cannot set it, so its parent must.
 */
export function createOverlayFs(cfg: OverlayConfig, cache: CacheMode, opts: OverlayFsOptions = {}): OverlayFs {
  if (isMainThread) process.umask(0);
  else if (process.umask() !== 0) throw new Error('ovl-fuse: set process.umask(0) before starting the session worker');
  return new OverlayFs(cfg, cache, opts);
}
