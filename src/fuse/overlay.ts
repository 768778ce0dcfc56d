// The state of one mounted FUSE overlay: configuration, layers, the lookup cache, open file
// handles (a read-only one follows its file into the upper at copy-up: HandleTable.followCopyUp).
import { OverlayXattrs, type OverlayConfig, followsRedirects } from '../format/index.js';
import { type LayerStack, layerStack, splitPath } from './layers.js';
import type { FileRef, Hit, Node } from './lookup.js';
import { lstatReal } from '../sys/index.js';
import { HandleTable } from './handles.js';
import { LowerIndex } from './lower-index.js';

export type CacheMode = 'auto' | 'never' | 'always';

export interface Caller {
  uid: number;
  gid: number;
  /** The calling task (FUSE's in.pid), when known: its supplementary groups and capabilities are in /proc. */
  pid?: number;
}

export class Overlay {
  readonly stack: LayerStack;
  readonly xattrs: OverlayXattrs;
  readonly follow: boolean;
  /** Resolved merged directories by merged path. */
  readonly dirs = new Map<string, Node>();
  /** Where a non-dir was found, by parent dir path and name (re-checked by one lstat on use). */
  readonly files = new Map<string, Map<string, FileRef>>();
  /** Which lower copies of a merged dir hold a name (used while the layer watcher runs). */
  readonly lowerIndex = new LowerIndex();
  readonly handles = new HandleTable();
  /** Origin inode of an upper object, by inode.ts's originKey (the xattr is read once). */
  readonly originInos = new Map<string, bigint>();
  /** O_PATH fds on each lower filesystem, for decoding origin handles (see inode.ts). */
  lowerMountFds: number[] | null = null;
  /**
   * Told the merged path of every object copied up, and whether its upper parent just became
   * impure (which changes the parent's listing): the node transport invalidates what the kernel cached.
   */
  onCopyUp: ((path: string, parentNowImpure: boolean) => void) | null = null;
  /** Upper hits of cached dirs known to carry `impure=y` (markImpure). */
  readonly impureDirs = new WeakSet<Hit>();
  /** Copy-up makes regular files as O_TMPFILE in the work dir until the upper refuses it. */
  tmpfileCopyUp = true;
  /**
   * Owner a file made in the work dir gets, and whether it keeps the mode it is opened with,
   * learned at the first copy-up (copy-up.ts madeInWork).
   */
  workCreates: { uid: number; gid: number; keepsMode: boolean } | null = null;
  /** `.fuse_hidden…` names libfuse gave to unlinked open files (see hidden.ts). */
  readonly hidden = new Set<string>();
  private tmpCounter = 0;

  constructor(
    readonly cfg: OverlayConfig,
    readonly cache: CacheMode,
    readonly caller: () => Caller,
  ) {
    this.stack = layerStack(cfg);
    this.xattrs = new OverlayXattrs(cfg.userxattr);
    this.follow = followsRedirects(cfg);
  }

  /** A fresh name under `workdir/work` for building an object before it is renamed into place. */
  tempPath(): string {
    if (!this.stack.work) throw new Error('read-only overlay has no workdir');
    return `${this.stack.work}/#ovl${process.pid.toString(16)}.${(this.tmpCounter++).toString(16)}`;
  }

  /**
   * The daemon changed the mode or owner of the object at `path`: if it is a cached dir, take its
   * top stat again. New objects in a dir get their group and set-group-ID from that stat (create.ts
   * newOwner), which would otherwise still show a set-group-ID bit a chmod had cleared.
   */
  restatDir(path: string): void {
    const top = this.dirs.get(path)?.hits[0];
    if (top) top.st = lstatReal(top.real);
  }

  /** Forget cached resolutions of `path` and everything below it. */
  invalidate(path: string): void {
    const [parent, name] = splitPath(path);
    this.files.get(parent)?.delete(name);
    this.files.delete(path);
    // A cached dir's ancestors are always cached too, so an uncached path has nothing cached below it.
    if (!this.dirs.delete(path)) return;
    const prefix = path === '/' ? '/' : path + '/';
    for (const key of this.dirs.keys()) if (key.startsWith(prefix)) this.dirs.delete(key);
    for (const key of this.files.keys()) if (key.startsWith(prefix)) this.files.delete(key);
  }
}
