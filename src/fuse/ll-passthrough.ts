// FUSE passthrough of upper files (kernel >= 6.9): reads, writes, splice and mmap of an open answered
// with FOPEN_PASSTHROUGH go straight to the real upper file, so the upper filesystem stamps atime and
// mtime itself, as under kernel overlayfs, and data moves at native speed.
//
// The kernel's rules (fs/fuse/iomode.c) decide the bookkeeping, per node (= kernel inode):
//   - an inode cannot mix cached-io opens and passthrough opens: a passthrough open while cached
//     opens exist fails the open (ETXTBSY), so those opens stay daemon-served (cached);
//   - one backing file per inode at a time: the node keeps one backing id while it has passthrough
//     opens. The kernel opens a backing file of its own for each FUSE open, with that open's flags,
//     from the registered file's path (backing_file_open), so one registration serves every open
//     of the same real file: a registration made from a read-only fd stays when the last of them is
//     released ("idle", at most MAX_IDLE nodes, oldest closed first) and the next open reuses it,
//     which spares the two ioctls of each open of a file read again and again (git status, fsck).
//     It is closed when the node is forgotten, and replaced when the node's name now leads to
//     another real file. One made from a writable fd is given back at once: a file held open for
//     writing, even by the backing map, makes an execve of it fail ETXTBSY;
//   - an FOPEN_DIRECT_IO open takes no io mode: an open that cannot pass through while the node (or a
//     hard-link alias of it) has passthrough opens is served by the daemon without page cache, so it
//     cannot read stale pages the passthrough writes bypassed;
//   - an upper open that cannot pass through because cached opens are held (a lower file's open from
//     before its copy-up, or a mapping of it) is served FOPEN_DIRECT_IO too while a read of the upper
//     file is due to stamp its atime (read-atime.ts): cached, a read of pages the client holds or at
//     the size it knows never reaches the daemon, where the kernel's overlay reads (and stamps) the
//     upper file. Once stamped, further opens beside those are cached until a stamp is due again;
//   - a MAP_SHARED mapping of an FOPEN_DIRECT_IO open (FUSE_DIRECT_IO_ALLOW_MMAP) puts the inode in
//     cached io mode without telling the daemon, so no open passes through while any direct open is
//     held: a passthrough open beside that mapping would fail.
// Lower files never pass through: a read-only fd on a lower file must switch to the upper copy when
// another process copies it up (ops-file.ts current()), which a backing file cannot do; and lower
// reads owe no atime (O_NOATIME, as the kernel reads its layers).
import type { RealStat, StatTimes } from '../sys/real-stat.js';
import { objectKey } from './copy-up.js';
import type { Handle } from './handles.js';
import type { NodeRec } from './node-table.js';
import { InitFlag } from './protocol/constants.js';
import { type AtimeMode, readStampsAtime } from './read-atime.js';
import { FOPEN_DIRECT_IO, FOPEN_PASSTHROUGH, type Session } from './session/filesystem.js';

export type IoMode = 'cached' | 'passthrough' | 'direct';

/**
 * Nodes whose backing id is kept with no open; the oldest is closed beyond this. Each pins one
 * struct file (and through it the upper dentry and inode) for as long as the kernel holds the
 * node, whose eviction (FORGET) closes it; the bound only keeps a huge tree read once from
 * pinning a file per inode the kernel still caches. A tree larger than this, read again and again,
 * registers every open as before.
 */
export const MAX_IDLE = 32768;

interface NodeIo {
  cached: number;
  backingId: number | null;
  /** `dev:ino` of the real file the backing id was registered for, when known; null otherwise. */
  backingKey: string | null;
  /** It was registered from a read-only fd: it may stay registered with no open (idle). */
  backingReadOnly: boolean;
  /** Handles of the passthrough opens (upper files, all of the same inode); their count is the node's. */
  fhs: number[];
  /** How many of those are O_RDWR (Handle.readWrite): stores through a mapping of one go unseen. */
  readWrite: number;
  /** FOPEN_DIRECT_IO opens held: any may have entered cached io mode by a MAP_SHARED mapping. */
  direct: number;
}

/** How a handle was opened, by file handle (the release must undo exactly what the open counted). */
interface OpenIo {
  rec: NodeRec;
  mode: IoMode;
  readWrite: boolean;
}

export class IoModes {
  private readonly nodes = new Map<NodeRec, NodeIo>();
  private readonly opens = new Map<number, OpenIo>();
  /** Nodes with an idle backing id, oldest first. */
  private readonly idle = new Set<NodeRec>();
  /** Backing ids registered with the kernel and not yet closed (idle ones included). */
  liveBackings = 0;
  /** How the upper's mount stamps atime (LlCore sets it from the upper's statvfs). */
  upperAtime: AtimeMode = 'relatime';

  constructor(readonly enabled: boolean) {}

  private io(rec: NodeRec): NodeIo {
    let io = this.nodes.get(rec);
    if (!io) this.nodes.set(rec, (io = { cached: 0, backingId: null, backingKey: null, backingReadOnly: false, fhs: [], readWrite: 0, direct: 0 }));
    return io;
  }

  /** Passthrough or cached opens on any of `recs` other than `rec` (hard-link aliases). */
  private othersHave(recs: Iterable<NodeRec>, rec: NodeRec, kind: 'cached' | 'passthrough'): boolean {
    for (const r of recs) {
      const io = r === rec ? undefined : this.nodes.get(r);
      if (io && (kind === 'cached' ? io.cached : io.fhs.length) > 0) return true;
    }
    return false;
  }

  /**
   * The io mode of a new open `fh` of `rec` served by `h`: FOPEN bits (with `cachedFlags` for a
   * daemon-served open with page cache) and the backing id of a passthrough open. `st`: the
   * opened file's times, for an upper open that must stay beside cached opens, and its identity
   * (dev, ino), without which no idle backing id is reused or kept.
   */
  open(
    session: Session, rec: NodeRec, fh: number, h: Handle, aliases: Iterable<NodeRec>, cachedFlags: number,
    st?: StatTimes & Partial<Pick<RealStat, 'dev' | 'ino'>>, direct = false,
  ): { openFlags: number; backingId?: number } {
    const io = this.io(rec);
    const besideCached = io.cached > 0 || this.othersHave(aliases, rec, 'cached');
    // A held direct open may be mapped MAP_SHARED, which holds the inode in cached io mode too.
    const blocked = besideCached || io.direct > 0;
    if (this.enabled && h.upper && !blocked) {
      const key = st?.ino === undefined || st.dev === undefined ? null : objectKey({ dev: st.dev, ino: st.ino });
      // An idle id of another real file (the name was replaced beside the mount): not that one.
      if (io.fhs.length === 0 && io.backingId !== null && (key === null || key !== io.backingKey)) this.closeBacking(session, rec, io);
      const id = io.backingId ?? this.register(session, h.fd);
      if (id !== null) {
        if (io.backingId === null) {
          io.backingKey = key;
          io.backingReadOnly = h.writable !== true;
        }
        io.backingId = id;
        this.idle.delete(rec);
        io.fhs.push(fh);
        const readWrite = h.readWrite === true;
        if (readWrite) io.readWrite++;
        this.opens.set(fh, { rec, mode: 'passthrough', readWrite });
        return { openFlags: FOPEN_PASSTHROUGH, backingId: id };
      }
    }
    if (direct || io.fhs.length > 0 || this.othersHave(aliases, rec, 'passthrough') || (blocked && this.stampDue(session, h, st))) {
      io.direct++;
      this.opens.set(fh, { rec, mode: 'direct', readWrite: false });
      return { openFlags: FOPEN_DIRECT_IO };
    }
    io.cached++;
    this.opens.set(fh, { rec, mode: 'cached', readWrite: false });
    return { openFlags: cachedFlags };
  }

  /**
   * An upper open that can read, of a file whose next read stamps its atime (read-atime.ts), on a
   * connection where a direct open may still be mapped MAP_SHARED.
   */
  private stampDue(session: Session, h: Handle, st: StatTimes | undefined): boolean {
    if (!this.enabled || !h.upper || !st || h.writeOnly) return false;
    if (!(session.grantedFlags & InitFlag.DIRECT_IO_ALLOW_MMAP)) return false;
    return readStampsAtime(st, this.upperAtime, Math.floor(Date.now() / 1000));
  }

  private register(session: Session, fd: number): number | null {
    let id: number | null;
    try {
      id = session.backingOpen(fd);
    } catch {
      // The upper filesystem cannot back a FUSE file (e.g. stacked too deep): serve it ourselves.
      return null;
    }
    if (id !== null) this.liveBackings++;
    return id;
  }

  /** Whether `rec` has passthrough opens now: its kernel inode then uses no page cache (the rules above). */
  passesThrough(rec: NodeRec): boolean {
    return (this.nodes.get(rec)?.fhs.length ?? 0) > 0;
  }

  /** A handle of a passthrough open of `rec`: its upper file, the inode the kernel holds for it. */
  upperHandle(rec: NodeRec): number | undefined {
    return this.nodes.get(rec)?.fhs[0];
  }

  /**
   * Whether `rec` has an O_RDWR passthrough open: a MAP_SHARED PROT_WRITE mapping of it may store
   * into the upper file, which changes its mtime and ctime without a request to the daemon or a
   * notice to the kernel's FUSE client (which invalidates its attributes after a passthrough
   * write(2), not after a store through a mapping). Its attributes are then not cached.
   */
  storesUnseen(rec: NodeRec): boolean {
    return (this.nodes.get(rec)?.readWrite ?? 0) > 0;
  }

  /**
   * RELEASE of `fh`: the node's last passthrough open gives its backing id back. True when it was
   * an O_RDWR passthrough open: a mapping's stores (its RELEASE comes at munmap) may have changed
   * the file's times since the kernel last asked.
   */
  release(session: Session, fh: number): boolean {
    const o = this.opens.get(fh);
    if (!o) return false;
    this.opens.delete(fh);
    const io = this.nodes.get(o.rec);
    if (!io) return false;
    if (o.readWrite) io.readWrite--;
    if (o.mode === 'cached') io.cached--;
    else if (o.mode === 'direct') io.direct--;
    else if (o.mode === 'passthrough') io.fhs.splice(io.fhs.indexOf(fh), 1);
    if (o.mode === 'passthrough' && io.fhs.length === 0 && io.backingId !== null) {
      if (io.backingReadOnly && io.backingKey !== null) this.keepIdle(session, o.rec);
      else this.closeBacking(session, o.rec, io);
    }
    this.dropIfUnused(o.rec, io);
    return o.readWrite;
  }

  /** The kernel forgot `rec`: its idle backing id goes with it (it has no opens: the kernel holds an open file's inode). */
  dropped(session: Session, rec: NodeRec): void {
    if (this.idle.has(rec)) this.closeIdleOf(session, rec);
  }

  /**
   * The session ends (unmounted): close every idle id now. The kernel frees them only with the
   * connection, when the last fd of /dev/fuse closes at the daemon's exit, and until then each
   * holds its upper file open, so an umount of the upper's filesystem right after ours failed EBUSY.
   */
  closeIdle(session: Session): void {
    for (const rec of [...this.idle]) this.closeIdleOf(session, rec);
  }

  private keepIdle(session: Session, rec: NodeRec): void {
    this.idle.add(rec);
    if (this.idle.size > MAX_IDLE) this.closeIdleOf(session, this.idle.values().next().value!);
  }

  /** Close the idle backing id of `rec`, which has no open left, and forget the node. */
  private closeIdleOf(session: Session, rec: NodeRec): void {
    const io = this.nodes.get(rec)!;
    this.closeBacking(session, rec, io);
    this.dropIfUnused(rec, io);
  }

  private closeBacking(session: Session, rec: NodeRec, io: NodeIo): void {
    const id = io.backingId!;
    io.backingId = null;
    io.backingKey = null;
    this.idle.delete(rec);
    this.liveBackings--;
    try {
      session.backingClose(id);
    } catch {
      // The connection is gone (unmounted): the kernel dropped every backing id with it.
    }
  }

  private dropIfUnused(rec: NodeRec, io: NodeIo): void {
    if (io.cached === 0 && io.fhs.length === 0 && io.direct === 0 && io.backingId === null) this.nodes.delete(rec);
  }
}
