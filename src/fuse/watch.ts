// The lower-layer watcher of ovl-fuse: one fanotify group with a filesystem mark on each filesystem
// that holds a layer, turned into changes named by layer and path inside the layer. Everything
// else on those filesystems (a layer under /tmp shares it with every process on the machine) is
// dropped after one cached handle lookup. The daemon's own changes (copy-up, whiteouts, anything
// done through the mount) carry its pid and are dropped undecoded: it invalidates those itself; those
// in the work dir are not even queued.
import { closeSync, constants } from 'node:fs';
import { openSync, realpathSync, statSync } from '../sys/fs-bytes.js';
import {
  FAN_MOVED_FROM,
  FAN_MOVED_TO,
  FAN_ONDIR,
  type DirId,
  type FanEvent,
  PATH_TOO_LONG,
  closeGroup,
  fanotifyGroup,
  handleBelow,
  ignoreDir,
  isOverflow,
  markFilesystem,
  pathOfHandle,
  readEvents,
} from '../sys/fanotify.js';
import { statVfs } from '../sys/statvfs.js';

/** One change in one layer of this mount. */
export interface LayerChange {
  /** Index of the layer in the stack (0 is the top: the upper when there is one). */
  layer: number;
  /** The real directory, as a path inside its layer ('/' is the layer root). */
  dir: string;
  /** The entry of `dir` that changed; null when the change is to `dir` itself (its attributes). */
  name: string | null;
  /** fanotify FAN_* bits (FAN_ONDIR when the object is a directory). */
  mask: number;
}

/** What one drain found: changes to this mount's layers, and whether events were lost. */
export interface ChangeBatch {
  changes: LayerChange[];
  overflow: boolean;
  /** Events read in all (including dropped ones), for the cost figures. */
  events: number;
  /** Of those, the events of other processes than this daemon. */
  foreign: number;
}

interface LayerRoot extends DirId {
  index: number;
  /** The canonical real path (readlink of /proc/self/fd gives canonical paths). */
  root: string;
}

interface WatchedFs {
  /** An fd on the filesystem, to open directory handles with. */
  mountFd: number;
  layers: LayerRoot[];
}

/**
 * Where a directory handle points: which layers it is in, and at which path inside each; `unnamed`:
 * in a layer at a path longer than PATH_MAX, which no merged path can be made from.
 */
interface DirHit {
  inLayers: { layer: number; dir: string }[];
  unnamed?: true;
}

/** What a handle that names nothing now (a deleted dir) is in. */
const NOWHERE: DirHit = { inLayers: [] };

/** Enough for many unrelated busy directories; past it the cache starts over. */
const HANDLE_CACHE_MAX = 8192;
/** Reads per drain, so a flood elsewhere cannot keep the loop from /dev/fuse for long. */
const READS_PER_DRAIN = 16;
const DIR_MOVED = FAN_MOVED_FROM | FAN_MOVED_TO;

export class LayerWatcher {
  private readonly byFsid = new Map<bigint, WatchedFs>();
  private readonly dirs = new Map<string, DirHit>();
  private readonly buf = Buffer.alloc(64 * 1024);
  private closed = false;

  private constructor(readonly fd: number, private readonly ownPid: number) {}

  /**
   * Watch the filesystems of `roots` (layer roots, top first). Throws an OvlError when fanotify is
   * not available (EPERM without CAP_SYS_ADMIN, ENODEV/EXDEV/EOPNOTSUPP for a filesystem it cannot
   * mark); the caller warns and mounts without the watcher. `work`: the overlay's work dir, where
   * only the daemon writes (every copy-up's data and metadata go to a file there): the kernel is
   * asked not to queue its events at all, which the watcher would read only to drop.
   */
  static start(roots: readonly string[], { ownPid = process.pid, work, vias }: { ownPid?: number; work?: string | null; vias?: ReadonlyArray<string | null> } = {}): LayerWatcher {
    const w = new LayerWatcher(fanotifyGroup(), ownPid);
    try {
      roots.forEach((root, index) => w.add(index, root, vias?.[index] ?? null));
    } catch (err) {
      w.close();
      throw err;
    }
    if (work) w.quiet(work);
    return w;
  }

  private quiet(dir: string): void {
    try {
      ignoreDir(this.fd, dir);
    } catch {
      // Before Linux 6.0 (no FAN_MARK_IGNORE): its events are read and dropped by pid instead.
    }
  }

  /**
   * `via`: where a root the overlay's own mount covers is reached (an fd opened before it); its
   * filesystem is marked and opened through it, while events, named by the paths of that
   * filesystem's mount, are still matched against the root's own path.
   */
  private add(index: number, root: string, via: string | null): void {
    const real = via === null ? realpathSync(root) : root;
    const dir = via ?? real;
    const fsid = statVfs(dir).fsid;
    let fs = this.byFsid.get(fsid);
    if (!fs) {
      markFilesystem(this.fd, dir);
      fs = { mountFd: openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY), layers: [] };
      this.byFsid.set(fsid, fs);
    }
    const { dev, ino } = statSync(dir, { bigint: true });
    fs.layers.push({ index, root: real, dev, ino });
  }

  /** Read what is queued (a bounded amount) and keep what concerns this mount's layers. */
  drain(): ChangeBatch {
    const batch: ChangeBatch = { changes: [], overflow: false, events: 0, foreign: 0 };
    for (let i = 0; i < READS_PER_DRAIN && !this.closed; i++) {
      const { events, bytes, skipped } = readEvents(this.fd, this.buf, this.ownPid);
      batch.events += events.length + skipped;
      batch.foreign += events.length;
      for (const ev of events) this.take(ev, batch);
      // A read that left room took everything queued: skip the read that would say EAGAIN (the
      // loop polls the fd again anyway). Halves the reads when events trickle in.
      if (bytes < this.buf.length / 2) break;
    }
    return batch;
  }

  private take(ev: FanEvent, batch: ChangeBatch): void {
    if (isOverflow(ev)) {
      batch.overflow = true;
      return;
    }
    if (ev.pid === this.ownPid || ev.dirHandle === null) return;
    const fs = this.byFsid.get(ev.fsid);
    if (!fs) return;
    const hit = this.resolve(ev, fs);
    // A change we cannot place in the merged tree: as if events were lost (every cache dropped).
    if (hit.unnamed) batch.overflow = true;
    // A moved directory keeps its handle but not its path: every cached path may be stale now.
    if ((ev.mask & FAN_ONDIR) !== 0 && (ev.mask & DIR_MOVED) !== 0) this.dirs.clear();
    for (const { layer, dir } of hit.inLayers) batch.changes.push({ layer, dir, name: ev.name, mask: ev.mask });
  }

  private resolve(ev: FanEvent, fs: WatchedFs): DirHit {
    const key = ev.dirKey;
    const cached = this.dirs.get(key);
    if (cached) return cached;
    const hit = this.place(ev.dirHandle!, fs);
    // A handle that names nothing now (deleted dir) is not cached: the next one may resolve.
    if (hit === null) return NOWHERE;
    if (this.dirs.size >= HANDLE_CACHE_MAX) this.dirs.clear();
    this.dirs.set(key, hit);
    return hit;
  }

  /** Where the dir `handle` names lies now; null when it names nothing. */
  private place(handle: Buffer, fs: WatchedFs): DirHit | null {
    const path = pathOfHandle(fs.mountFd, handle);
    if (path === null) return null;
    if (path !== PATH_TOO_LONG) return { inLayers: layersOf(path, fs.layers) };
    // A path longer than PATH_MAX (a test suite's or a build's deep tree): usually outside every
    // layer, which walking up from it by device and inode tells; inside one it is unnamed.
    const inside = handleBelow(fs.mountFd, handle, fs.layers);
    if (inside === null) return null;
    return inside ? { inLayers: [], unnamed: true } : { inLayers: [] };
  }

  /** Number of directory handles whose path is cached (for tests and the cost figures). */
  get cachedDirs(): number {
    return this.dirs.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fs of this.byFsid.values()) closeSync(fs.mountFd);
    closeGroup(this.fd);
  }
}

/** The layers `path` lies in, with its path inside each ('/' for the root). */
export function layersOf(path: string, layers: readonly Pick<LayerRoot, 'index' | 'root'>[]): { layer: number; dir: string }[] {
  const out: { layer: number; dir: string }[] = [];
  for (const l of layers) {
    if (path === l.root) out.push({ layer: l.index, dir: '/' });
    else if (path.startsWith(l.root) && path[l.root.length] === '/') out.push({ layer: l.index, dir: path.slice(l.root.length) });
  }
  return out;
}
