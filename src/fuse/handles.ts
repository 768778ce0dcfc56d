// Open files and directories by FUSE file handle. Handles are our own small integers, not fds,
// so a handle can swap its fd (a lower fd follows its file after a copy-up) without aliasing.
import { constants } from 'node:fs';
import { openSync } from '../sys/fs-bytes.js';
import { openPathFd } from '../sys/fd.js';
import { type RealStat, fstatReal } from '../sys/real-stat.js';

const { O_RDONLY, O_NOATIME } = constants;

export interface Handle {
  fd: number;
  /** Merged path at open time, kept current by renames (HandleTable.setPath, movePaths). */
  readonly path: string;
  /** True once the fd refers to the upper copy. */
  upper: boolean;
  /** `dev:ino` of the lower object a read-only handle was opened on. */
  lowerKey: string | null;
  /** Opened by execve (FMODE_EXEC): only the kernel's page faults read it, see followCopyUp. */
  exec?: boolean;
  /** Opened for writing (or O_TRUNC): a SETATTR without fields may be its write's file_remove_privs. */
  writable?: boolean;
  /**
   * Opened O_RDWR, the only open a MAP_SHARED PROT_WRITE mapping can be made from: passed through,
   * its stores reach the upper file with no request and no notice to the kernel's FUSE client.
   */
  readWrite?: boolean;
  /** Opened O_WRONLY: it reads nothing, so no read through it owes an atime (ll-passthrough.ts). */
  writeOnly?: boolean;
  /** st_ino the overlay reports for this file. */
  ino: bigint;
  /** fds to close on release (the original one stays open after a swap). */
  extraFds: number[];
  /**
   * A read-only handle of a metacopy file (metacopy.ts) reads its data file (`fd`), but its
   * attributes are the metacopy file's: an O_PATH fd of that, until the data is copied up.
   */
  meta?: number;
  /** `meta` is an upper file, whose atime a read stamps (a lower metacopy file's never is). */
  metaInUpper?: boolean;
  /**
   * Its fd's filesystem refused a read that does not wait (RWF_NOWAIT: tmpfs, an overlay), or is
   * one that did before (LlCore.readsWaitOn): every READ is the loop's own (readFile), not asked of
   * the page cache first. Cleared when a copy-up swaps the fd (followCopyUp).
   */
  readsWait?: boolean;
  /** The node id it was opened on (node-based transport; HandleTable.setNode): serves the node after its name is gone. */
  readonly nodeid?: number;
}

/**
 * Every lookup a request makes here goes through an index, never a walk of all handles: a client
 * holding thousands of files open (a database, a JVM, a build) would otherwise pay for each of
 * them on every open, copy-up and rename (measured: 15,000 held opens doubled the cost of a
 * copy-up and a rename). `path` and `nodeid` change only through this table.
 */
export class HandleTable {
  private readonly open = new Map<number, Handle>();
  private next = 1;
  private readonly byPath = new Map<string, Set<number>>();
  private readonly byNode = new Map<number, Set<number>>();
  /** Read-only handles still on a lower file, by its `dev:ino` (what a copy-up of it switches). */
  private readonly byLower = new Map<string, Set<number>>();
  private readonly execs = new Set<number>();
  private readonly writers = new Set<number>();

  add(h: Handle): number {
    // Skip 0: fuse-native treats a zero handle as "none".
    while (this.next === 0 || this.open.has(this.next)) this.next = (this.next + 1) >>> 0;
    const fh = this.next;
    this.next = (this.next + 1) >>> 0;
    this.open.set(fh, h);
    index(this.byPath, h.path, fh);
    if (h.nodeid !== undefined) index(this.byNode, h.nodeid, fh);
    if (!h.upper && h.lowerKey !== null) index(this.byLower, h.lowerKey, fh);
    if (h.exec) this.execs.add(fh);
    if (h.writable) this.writers.add(fh);
    return fh;
  }

  get(fh: number): Handle | undefined {
    return this.open.get(fh);
  }

  remove(fh: number): Handle | undefined {
    const h = this.open.get(fh);
    if (!h) return undefined;
    this.open.delete(fh);
    unindex(this.byPath, h.path, fh);
    if (h.nodeid !== undefined) unindex(this.byNode, h.nodeid, fh);
    if (!h.upper && h.lowerKey !== null) unindex(this.byLower, h.lowerKey, fh);
    this.execs.delete(fh);
    this.writers.delete(fh);
    return h;
  }

  /** Handle `fh` now serves node `nodeid` (node-based transport). */
  setNode(fh: number, nodeid: number): void {
    const h = this.open.get(fh) as { nodeid?: number } | undefined;
    if (!h || h.nodeid === nodeid) return;
    if (h.nodeid !== undefined) unindex(this.byNode, h.nodeid, fh);
    h.nodeid = nodeid;
    index(this.byNode, nodeid, fh);
  }

  /** Handle `fh`'s file now has the merged name `path` (a linked O_TMPFILE, a hidden name). */
  setPath(fh: number, path: string): void {
    const h = this.open.get(fh) as { path: string } | undefined;
    if (!h || h.path === path) return;
    unindex(this.byPath, h.path, fh);
    h.path = path;
    index(this.byPath, path, fh);
  }

  /** The handles opened on merged name `path` (or moved to it). */
  onPath(path: string): ReadonlySet<number> {
    return this.byPath.get(path) ?? NONE;
  }

  /** The handles of node `nodeid`. */
  onNode(nodeid: number): ReadonlySet<number> {
    return this.byNode.get(nodeid) ?? NONE;
  }

  /** The handles opened by execve (FMODE_EXEC). */
  executing(): ReadonlySet<number> {
    return this.execs;
  }

  /** The handles opened for writing (or O_TRUNC). */
  writing(): ReadonlySet<number> {
    return this.writers;
  }

  /**
   * `src` was renamed to `dest`: handles on it, and with `isDir` (true unless known otherwise) the
   * handles below it, follow. A file's rename costs one lookup; a dir's a look at every open path.
   */
  movePaths(src: string, dest: string, isDir = true): void {
    const moved: [number, string][] = [];
    for (const fh of this.onPath(src)) moved.push([fh, dest]);
    if (isDir) {
      const prefix = src === '/' ? '/' : src + '/';
      for (const [path, fhs] of this.byPath) {
        if (path.startsWith(prefix)) for (const fh of fhs) moved.push([fh, dest + path.slice(src.length)]);
      }
    }
    for (const [fh, path] of moved) this.setPath(fh, path);
  }

  /**
   * The lower object `lowerKey` was just copied up to `upper`: switch every read-only handle still
   * on it to the new upper file now, while `upper` is surely that object (a later rename, exchange
   * or unlink of the name must not make an old fd read another file, as the kernel's reopen
   * follows the inode). An exec handle is read only by page faults of a mapping, which the
   * kernel serves from the lower without touching any atime: its upper fd is O_NOATIME. With
   * `name` (a lower file with other hard links) only the handles opened on that merged name: each
   * name of a lower hard link is its own overlay inode (index off: ovl_hash_bylower), its copy-up
   * a new file the other names' open files never read.
   */
  followCopyUp(lowerKey: string, upper: string, name: string | null = null, metaKey: string | null = null): void {
    const on = this.byLower.get(lowerKey);
    if (!on) return;
    for (const fh of [...on]) {
      const h = this.open.get(fh)!;
      // The data of a metacopy file copied into its upper inode: the handles of that inode, by
      // whatever name they were opened (upper hard links), and no other file's with the same data.
      if (metaKey !== null && h.meta !== undefined) {
        if (objectKey(fstatReal(h.meta)) !== metaKey) continue;
      } else if (name !== null && h.path !== name) continue;
      h.extraFds.push(h.fd);
      h.fd = openSync(upper, O_RDONLY | (h.exec ? O_NOATIME : 0));
      h.upper = true;
      // The upper's filesystem may read without waiting where the lower's refused (readFile).
      h.readsWait = undefined;
      if (h.meta !== undefined) {
        h.extraFds.push(h.meta);
        h.meta = undefined;
        h.metaInUpper = false;
      }
      unindex(this.byLower, lowerKey, fh);
    }
  }

  /**
   * The lower file `lowerKey` was just copied up for its metadata only, to `upper` (a metacopy
   * file): read-only handles on it keep reading it, as the kernel's do, but their attributes (and
   * an fchmod or futimens through them) are the upper file's from now on (Handle.meta). `name` as
   * for followCopyUp.
   */
  attachMeta(lowerKey: string, upper: string, name: string | null): void {
    for (const fh of this.byLower.get(lowerKey) ?? NONE) {
      const h = this.open.get(fh)!;
      if ((name !== null && h.path !== name) || h.meta !== undefined) continue;
      h.meta = openPathFd(upper);
      h.metaInUpper = true;
    }
  }

  all(): IterableIterator<Handle> {
    return this.open.values();
  }

  entries(): IterableIterator<[number, Handle]> {
    return this.open.entries();
  }
}

const NONE: ReadonlySet<number> = new Set();

/** `dev:ino` key of a real object, for fds that must follow their file into the upper. */
export function objectKey(st: Pick<RealStat, 'dev' | 'ino'>): string {
  return `${st.dev}:${st.ino}`;
}

function index<K>(map: Map<K, Set<number>>, key: K, fh: number): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(fh);
}

function unindex<K>(map: Map<K, Set<number>>, key: K, fh: number): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(fh);
  if (set.size === 0) map.delete(key);
}
