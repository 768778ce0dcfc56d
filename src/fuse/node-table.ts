// The kernel's view of the overlay as node ids: each id the kernel holds names one merged object
// by its parent node and its name (the path is derived, so renaming a dir moves its whole subtree
// in O(1)), with the lookup count the kernel owes us. Node 1 is the root and is never forgotten.
// A node whose name is unlinked or replaced is detached (no parent) but stays valid, for open
// handles, until the kernel forgets it. Freed ids are reused with the next generation number.
// A non-directory may have more than one name (the upper hard links of one file share a node, as
// they share one inode under kernel overlayfs): the first is the one its path is derived from.

export const ROOT_ID = 1;

export interface NodeRec {
  readonly id: number;
  readonly generation: number;
  /** null once the name is gone (unlinked, replaced by a rename); the root's is always null. */
  parent: NodeRec | null;
  name: string;
  /** Its other names the kernel holds, in the order they came (hard links of an upper file); usually null. */
  others: NameRef[] | null;
  /** Lookups the kernel holds (each LOOKUP-like reply adds one, FORGET gives them back). */
  lookups: number;
  /** Live children by name (only nodes the kernel holds, or that hold such children). */
  children: Map<string, NodeRec> | null;
  /** The derived merged path and the table's rename epoch it was derived in. */
  pathCache: string;
  pathEpoch: number;
  /** Caching state kept by the filesystem (overlay inode, and the file's mtime/size at its last open). */
  ino: number;
  nlink: number;
  isDir: boolean;
  /** Its file type (mode & S_IFMT) as the kernel was last told, 0 before that. */
  fmt: number;
  /** The top object is in the upper layer (true until known otherwise: the cautious default). */
  upper: boolean;
  openMtimeNs: bigint | null;
  /** A number, or a bigint from 2^53 on (so two sizes there that a number would round alike differ). */
  openSize: number | bigint;
  /** `dev:ino` of the upper file it was last looked up as while that had other links (LlCore's sharing), else null. */
  linkKey: string | null;
  /** A dir's: LlCore.namesEpoch at the last change of its names (0: none seen). */
  namesAt: number;
}

export interface NameRef {
  parent: NodeRec;
  name: string;
}

function newRec(id: number, generation: number, parent: NodeRec | null, name: string): NodeRec {
  return {
    id, generation, parent, name, others: null, lookups: 0, children: null,
    pathCache: '', pathEpoch: -1, ino: 0, nlink: 0, isDir: false, fmt: 0, upper: true, openMtimeNs: null, openSize: -1, linkKey: null, namesAt: 0,
  };
}

export class NodeTable {
  /** Records by id; a hole is a free id. Ids are small integers, so an array beats a Map here. */
  private readonly recs: (NodeRec | undefined)[] = [];
  private readonly generations: number[] = [];
  private readonly free: number[] = [];
  /** Bumped by every move or detach of a node that has children: derived paths are re-derived. */
  private epoch = 0;
  private live = 0;
  readonly root: NodeRec;
  /** Called with each node as it leaves the table (forgotten, and nothing below it held). */
  onDrop: ((rec: NodeRec) => void) | null = null;

  constructor() {
    this.root = newRec(ROOT_ID, 0, null, '');
    this.root.pathCache = '/';
    this.root.isDir = true;
    this.recs[ROOT_ID] = this.root;
    this.live = 1;
  }

  /** Number of nodes in the table (the root included). */
  get size(): number {
    return this.live;
  }

  get(id: number): NodeRec | undefined {
    return this.recs[id];
  }

  /** The child node already known for `name` in `parent` (no lookup counted). */
  child(parent: NodeRec, name: string): NodeRec | undefined {
    return parent.children?.get(name);
  }

  /** The node for `name` in `parent`, created if new; counts one lookup the kernel now holds. */
  lookup(parent: NodeRec, name: string): NodeRec {
    let rec = parent.children?.get(name);
    if (!rec) {
      rec = this.alloc(parent, name);
      (parent.children ??= new Map()).set(name, rec);
    }
    rec.lookups++;
    return rec;
  }

  private alloc(parent: NodeRec, name: string): NodeRec {
    // recs[0] stays a hole (id 0 means "no node" on the wire) and recs[1] is the root.
    const id = this.free.pop() ?? this.recs.length;
    const generation = (this.generations[id] ?? -1) + 1;
    this.generations[id] = generation;
    const rec = newRec(id, generation, parent, name);
    this.recs[id] = rec;
    this.live++;
    return rec;
  }

  /** FORGET: the kernel gives back `n` lookups; the node goes when none are left and nothing below it is held. */
  forget(id: number, n: number): void {
    const rec = this.recs[id];
    if (!rec || id === ROOT_ID) return;
    rec.lookups = Math.max(0, rec.lookups - n);
    this.dropIfUnused(rec);
  }

  private dropIfUnused(rec: NodeRec): void {
    let cur: NodeRec | null = rec;
    // A held child keeps its parent (the kernel's dentry does the same), so drop upwards.
    // (A parent may have gone already, through a file's other name in it.)
    while (cur && cur.id !== ROOT_ID && cur.lookups === 0 && !cur.children?.size && this.recs[cur.id] === cur) {
      const parent: NodeRec | null = cur.parent;
      if (parent) unchild(parent, cur.name, cur);
      const others = cur.others;
      cur.others = null;
      cur.parent = null;
      this.recs[cur.id] = undefined;
      this.free.push(cur.id);
      this.live--;
      this.onDrop?.(cur);
      // A file's other names are leaves of other dirs, each of which may now go too.
      for (const o of others ?? []) {
        unchild(o.parent, o.name, cur);
        this.dropIfUnused(o.parent);
      }
      cur = parent;
    }
  }

  /** The name is gone from the merged tree (unlink, rmdir, replaced by a rename): detach its node. */
  detach(parent: NodeRec, name: string): NodeRec | undefined {
    const rec = parent.children?.get(name);
    if (!rec) return undefined;
    unchild(parent, name, rec);
    unname(rec, parent, name);
    if (rec.children) this.epoch++;
    this.dropIfUnused(rec);
    this.dropIfUnused(parent);
    return rec;
  }

  /** rename(2): the node at `name` moves to `newName` in `newParent`; what was there is detached. */
  move(parent: NodeRec, name: string, newParent: NodeRec, newName: string): void {
    const rec = parent.children?.get(name);
    if (rec && parent === newParent && name === newName) return;
    // Two names of one node: rename(2) of one onto the other leaves both in place.
    if (rec && newParent.children?.get(newName) === rec) return;
    this.detach(newParent, newName);
    if (!rec) return;
    unchild(parent, name, rec);
    renameRef(rec, parent, name, newParent, newName);
    (newParent.children ??= new Map()).set(newName, rec);
    this.epoch++;
    this.dropIfUnused(parent);
  }

  /**
   * `rec` takes the name `name` in `parent` as well (no lookup counted; what held the name is
   * detached): the first name of a detached node (LINK of an O_TMPFILE file, so the kernel's inode
   * behind the open fd learns its new link count from the reply), or one more name of an upper file
   * (the kernel's overlay gives all its hard links one inode).
   */
  attach(rec: NodeRec, parent: NodeRec, name: string): void {
    if (parent.children?.get(name) === rec) return;
    this.detach(parent, name);
    if (rec.parent === null) {
      rec.parent = parent;
      rec.name = name;
      rec.pathEpoch = -1;
    } else {
      (rec.others ??= []).push({ parent, name });
    }
    (parent.children ??= new Map()).set(name, rec);
  }

  /** RENAME_EXCHANGE: the two names swap their nodes. */
  exchange(a: NodeRec, aName: string, b: NodeRec, bName: string): void {
    const ra = a.children?.get(aName);
    const rb = b.children?.get(bName);
    // Two names of one node: nothing moves (rename(2) returns at once for one inode).
    if (ra === rb) return;
    if (ra) unchild(a, aName, ra);
    if (rb) unchild(b, bName, rb);
    if (ra) {
      renameRef(ra, a, aName, b, bName);
      (b.children ??= new Map()).set(bName, ra);
    }
    if (rb) {
      renameRef(rb, b, bName, a, aName);
      (a.children ??= new Map()).set(aName, rb);
    }
    this.epoch++;
    // A side that only one name existed in has lost a child: it goes if nothing else holds it.
    this.dropIfUnused(a);
    this.dropIfUnused(b);
  }

  /** Every name the kernel holds of `rec`, the one its path is derived from first. */
  *names(rec: NodeRec): IterableIterator<NameRef> {
    if (rec.parent) yield { parent: rec.parent, name: rec.name };
    if (rec.others) yield* rec.others;
  }

  /** Merged path of a node ('/' for the root), or null for a detached node. */
  path(rec: NodeRec): string | null {
    if (rec.id === ROOT_ID) return '/';
    const parent = rec.parent;
    // Detaching a leaf keeps the epoch (no path below it changes), so check the link first.
    if (!parent) return null;
    if (rec.pathEpoch === this.epoch) return rec.pathCache;
    const pp = this.path(parent);
    if (pp === null) return null;
    rec.pathCache = pp === '/' ? '/' + rec.name : pp + '/' + rec.name;
    rec.pathEpoch = this.epoch;
    return rec.pathCache;
  }

  /** The node at merged `path` if the kernel holds it (or something below it); no lookup counted. */
  find(path: string): NodeRec | undefined {
    let rec: NodeRec | undefined = this.root;
    // Walked by index, not split: the layer watcher asks this once per event it keeps.
    for (let at = 0; rec && at < path.length; ) {
      let end = path.indexOf('/', at);
      if (end < 0) end = path.length;
      if (end > at) rec = rec.children?.get(path.slice(at, end));
      at = end + 1;
    }
    return rec;
  }

  /** Every node in the table (the root first). */
  *all(): IterableIterator<NodeRec> {
    for (const rec of this.recs) if (rec) yield rec;
  }
}

/** `parent`'s child `name` is `rec` no longer (a no-op if something else holds the name). */
function unchild(parent: NodeRec, name: string, rec: NodeRec): void {
  if (parent.children?.get(name) !== rec) return;
  parent.children.delete(name);
  if (parent.children.size === 0) parent.children = null;
}

/** `rec` loses its name `name` in `parent`; its next name, if any, becomes the one its path follows. */
function unname(rec: NodeRec, parent: NodeRec, name: string): void {
  if (rec.parent === parent && rec.name === name) {
    const next = rec.others?.shift();
    if (rec.others?.length === 0) rec.others = null;
    rec.parent = next?.parent ?? null;
    if (next) rec.name = next.name;
    rec.pathEpoch = -1;
    return;
  }
  const i = rec.others?.findIndex((o) => o.parent === parent && o.name === name) ?? -1;
  if (i < 0) return;
  rec.others!.splice(i, 1);
  if (rec.others!.length === 0) rec.others = null;
}

/** `rec`'s name `name` in `parent` becomes `newName` in `newParent` (the caller bumps the epoch). */
function renameRef(rec: NodeRec, parent: NodeRec, name: string, newParent: NodeRec, newName: string): void {
  const ref = rec.parent === parent && rec.name === name ? rec : rec.others?.find((o) => o.parent === parent && o.name === name);
  if (!ref) return;
  ref.parent = newParent;
  ref.name = newName;
}
