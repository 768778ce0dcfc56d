// The state of one mounted FUSE overlay: configuration, layers, the lookup cache, open file
// handles (a read-only one follows its file into the upper at copy-up: HandleTable.followCopyUp).
import { OverlayXattrs, type OverlayConfig, followsRedirects } from '../format/index.js';
import { type LayerStack, layerStack, splitPath } from './layers.js';
import type { FileRef, Hit, Node } from './lookup.js';
import { fsyncFd } from '../sys/fd.js';
import { lstatReal } from '../sys/index.js';
import { HandleTable } from './handles.js';
import { LowerIndex } from './lower-index.js';
import { OriginInos } from './origin-inos.js';
import { PathTree } from './path-tree.js';
import { SharedWhiteout } from './whiteout.js';
import { InoMap } from './xino.js';

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
  /**
   * Merged paths of metacopy files whose data in a data-only layer was opened or copied: the
   * kernel's overlay inode has looked that data up (st_blocks is the data's from then on).
   */
  readonly dataLoaded = new Set<string>();
  /** Every regular file a lookup finds may be a metacopy file: metacopy=on or data-only layers (lookup.ts isMetacopy). */
  readonly anyMetacopy: boolean;
  readonly follow: boolean;
  private readonly dirMap = new Map<string, Node>();
  private readonly fileMap = new Map<string, Map<string, FileRef>>();
  /** Resolved merged directories by merged path (written through rememberDir). */
  readonly dirs: ReadonlyMap<string, Node> = this.dirMap;
  /** Where a non-dir was found, by parent dir path and name (re-checked by one lstat on use; filesIn). */
  readonly files: ReadonlyMap<string, Map<string, FileRef>> = this.fileMap;
  /** The paths dirs and files hold, as a tree: invalidate() drops a subtree without a scan of every key. */
  private readonly cachedPaths = new PathTree();
  /** Which lower copies of a merged dir hold a name (used while the layer watcher runs). */
  readonly lowerIndex = new LowerIndex();
  readonly handles = new HandleTable();
  /** The inode number each upper object shows, read from its `origin` once (origin-inos.ts). */
  readonly originInos = new OriginInos();
  /**
   * Origin inode of a copy that could not store its `origin` (under userxattr a symlink or special
   * file; copy-up.ts setOrigin), by inode.ts's unstoredOriginKey: the daemon's memory is its only record.
   */
  readonly unstoredOrigins = new Map<string, bigint>();
  /**
   * st_dev of lower filesystems that gave no file handle (inode.ts originOf): their copies store an
   * empty origin, which names no lower object, so their numbers are kept as for unstored ones.
   */
  readonly noHandleDevs = new Set<number>();
  /** Each lower filesystem's uuid by st_dev, for the origin handles copy-up writes (inode.ts originOf); null: none. */
  readonly fsUuids = new Map<number, Buffer | null>();
  /** O_PATH fds on each lower filesystem, for decoding origin handles (see inode.ts). */
  lowerMountFds: Array<[fd: number, dev: number]> | null = null;
  /**
   * Told the merged path of every object copied up, whether its upper parent just became impure
   * (which may change the parent's listing) and whether the parent's listing changed anyway: the
   * object's st_ino (a lower hard link gets no origin: its copy shows its own inode, in the listing
   * too) or its place (a name the parent's lowest layer lacks moves among the upper's). The node
   * transport invalidates what the kernel cached.
   */
  onCopyUp: ((path: string, parentNowImpure: boolean, listingMoved: boolean) => void) | null = null;
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
  private inoMap: InoMap | null = null;
  /** The whiteouts unlink and rmdir leave: links of one per mount in the work dir (whiteout.ts). */
  readonly whiteouts = new SharedWhiteout(() => this.tempPath());
  /**
   * Called between chunks of a copy-up's data: the session serves other requests meanwhile, and
   * throws EINTR once the copy's caller is being killed (Session.meanwhile). Nothing by default.
   */
  duringCopy: () => void = () => {};
  /**
   * The fsync of a copy-up's data (`path` names it in errors): the session serves other requests
   * while a long one runs (Session.syncServing). A plain fsync by default.
   */
  syncCopy: (fd: number, path: string) => void = fsyncFd;
  /**
   * A copy-up's reads of its lower: begun before the copy, asked before each chunk (which, where
   * the page cache lacks it, a read thread reads in while the session serves other requests:
   * Session.copyReads), finished after it, even when it failed. Null: the copy reads the disk itself.
   */
  copyReads: {
    begin(fd: number, end: number, sparse: boolean, path: string): void;
    chunk(offset: number, size: number): void;
    finish(): void;
  } | null = null;
  /** A syncCopy will come (Session.prepareSync). Nothing by default. */
  prepareSync: () => void = () => {};

  constructor(
    readonly cfg: OverlayConfig,
    readonly cache: CacheMode,
    readonly caller: () => Caller,
  ) {
    this.stack = layerStack(cfg);
    this.xattrs = new OverlayXattrs(cfg.userxattr);
    this.follow = followsRedirects(cfg);
    this.anyMetacopy = cfg.metacopy || (cfg.datadirs ?? []).length > 0;
  }

  /**
   * Inode numbers made unique across the layers' filesystems (xino.ts); built at first use, once
   * the layers' roots are placed (submounts.ts), as the kernel decides it at mount.
   */
  get inos(): InoMap {
    return (this.inoMap ??= InoMap.of(this.stack));
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

  /** Keep the resolved dir `node` (at node.path) for the lookups below it. */
  rememberDir(node: Node): void {
    this.dirMap.set(node.path, node);
    this.cachedPaths.add(node.path);
  }

  /** The remembered files of dir `parent`, made empty when there are none (`given`: these). */
  filesIn(parent: string, given?: Map<string, FileRef>): Map<string, FileRef> {
    const names = given ?? this.fileMap.get(parent) ?? new Map<string, FileRef>();
    if (this.fileMap.get(parent) !== names) {
      this.fileMap.set(parent, names);
      this.cachedPaths.add(parent);
    }
    return names;
  }

  /** Forget every remembered file (their dirs stay). */
  forgetFiles(): void {
    this.fileMap.clear();
  }

  /** Forget every resolved dir and file. */
  forgetAll(): void {
    this.dirMap.clear();
    this.forgetFiles();
    this.cachedPaths.clear();
  }

  /** Forget cached resolutions of `path` and everything below it. */
  invalidate(path: string): void {
    const [parent, name] = splitPath(path);
    this.fileMap.get(parent)?.delete(name);
    this.fileMap.delete(path);
    // A cached dir's ancestors are always cached too, so an uncached path has nothing cached below it.
    if (!this.dirMap.delete(path)) return;
    for (const below of this.cachedPaths.takeBelow(path)) {
      this.dirMap.delete(below);
      this.fileMap.delete(below);
    }
  }
}
