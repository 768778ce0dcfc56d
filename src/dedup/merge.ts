// Stacking diffs the way overlayfs merges lowers: a whiteout removes a path and everything below
// it, an opaque directory hides what the layers below had inside it, a non-directory replaces
// whatever was there. Produces the tree a legacy `root/` would hold for that layer. Pure.
// Paths are numbered once (`PathNodes`) and the tree is typed arrays indexed by those numbers: one
// string lookup per diff item (made once for both merges of a layer) instead of a path-keyed Map
// of entries, a Set of names per directory and the parent and name slices of every path.
import type { DiffItem, Entry } from './types.js';
import { baseName, parentPath } from './paths.js';
import { CHUNK } from './chunks.js';

/** Every path the merged layers name, as a number (0 is the top dir ''); shared by a tree and its copies. */
export class PathNodes {
  private readonly byPath = new Map<string, number>([['', 0]]);
  /** node → its path */
  readonly paths: string[] = [''];
  /** node → its parent's node (-1 for the top) */
  parent = new Int32Array(1024).fill(-1);
  /** diff item list → its items' nodes (both merges of a layer, the estimate's and the copies', share them) */
  private readonly ofList = new WeakMap<readonly DiffItem[], Int32Array>();

  get count(): number {
    return this.paths.length;
  }

  of(path: string): number {
    const n = this.byPath.get(path);
    return n === undefined ? this.add(path) : n;
  }

  /** The node of a path if it was ever named, else -1. */
  find(path: string): number {
    return this.byPath.get(path) ?? -1;
  }

  private add(path: string): number {
    const up = this.of(parentPath(path));
    const n = this.paths.push(path) - 1;
    if (n >= this.parent.length) {
      const grown = new Int32Array(this.parent.length * 2);
      grown.set(this.parent);
      this.parent = grown;
    }
    this.parent[n] = up;
    this.byPath.set(path, n);
    return n;
  }

  /**
   * The nodes of `items`' paths, made once per list, 1 024 items per call: as one loop per list,
   * TurboFan compiled it by on-stack replacement while it ran, and that code deoptimised at the
   * loop's exit in each later layer (11 deopts a run on the bench root).
   */
  ofItems(items: readonly DiffItem[]): Int32Array {
    let ids = this.ofList.get(items);
    if (ids === undefined) {
      ids = new Int32Array(items.length);
      for (let i = 0; i < items.length; i += CHUNK) this.ofRange(items, ids, i, Math.min(items.length, i + CHUNK));
      this.ofList.set(items, ids);
    }
    return ids;
  }

  private ofRange(items: readonly DiffItem[], ids: Int32Array, from: number, to: number): void {
    for (let i = from; i < to; i++) ids[i] = this.of(items[i]!.path);
  }
}

const NONE = -1;

/** A merged tree: entry per path node, plus each directory's children as a linked list in insertion order. */
export class MergedTree {
  readonly nodes: PathNodes;
  /** node → its entry in this tree (undefined: not in the tree) */
  protected entry: Array<Entry | undefined>;
  /** number of paths with an entry */
  size: number;
  // Children of a node, oldest first (a name that leaves and comes back goes last, as in a Set).
  protected first: Int32Array;
  protected last: Int32Array;
  protected next: Int32Array;
  protected prev: Int32Array;
  /** 1 while the node is among its parent's children */
  protected linked: Uint8Array;
  /** number of children */
  protected kids: Int32Array;

  constructor(from?: MergedTree) {
    this.nodes = from?.nodes ?? new PathNodes();
    const cap = from ? from.first.length : 1024;
    this.entry = from ? from.entry.slice() : new Array<Entry | undefined>(cap).fill(undefined);
    this.size = from?.size ?? 0;
    this.first = from ? from.first.slice() : new Int32Array(cap).fill(NONE);
    this.last = from ? from.last.slice() : new Int32Array(cap).fill(NONE);
    this.next = from ? from.next.slice() : new Int32Array(cap).fill(NONE);
    this.prev = from ? from.prev.slice() : new Int32Array(cap).fill(NONE);
    this.linked = from ? from.linked.slice() : new Uint8Array(cap);
    this.kids = from ? from.kids.slice() : new Int32Array(cap);
  }

  // Hooks for a tree that keeps running totals as it changes (chained.ts): an entry comes or goes,
  // a child joins or leaves a directory. Nothing here: the plain tree keeps no totals.
  protected added(_n: number, _e: Entry): void {}
  protected removed(_n: number, _e: Entry): void {}
  protected named(_dir: number, _child: number, _on: boolean): void {}

  /** Room for every node numbered so far (the nodes grow as later layers name new paths). */
  protected grow(): void {
    const cap = this.first.length;
    if (this.nodes.count <= cap) return;
    let size = cap * 2;
    while (size < this.nodes.count) size *= 2;
    const wider = <T extends Int32Array | Uint8Array>(a: T, fill: number): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.fill(fill);
      b.set(a);
      return b;
    };
    this.first = wider(this.first, NONE);
    this.last = wider(this.last, NONE);
    this.next = wider(this.next, NONE);
    this.prev = wider(this.prev, NONE);
    this.linked = wider(this.linked, 0);
    this.kids = wider(this.kids, 0);
    for (let i = cap; i < size; i++) this.entry.push(undefined);
  }

  /** The entry at node `n`, if the tree has one (a node numbered after the tree last grew has none). */
  at(n: number): Entry | undefined {
    return n < this.entry.length ? this.entry[n] : undefined;
  }

  /** The entry at `path`, if the tree has one. */
  get(path: string): Entry | undefined {
    const n = this.nodes.find(path);
    return n < 0 || n >= this.entry.length ? undefined : this.entry[n];
  }

  /** Every path in the tree with its entry (for tests and small trees). */
  get entries(): Map<string, Entry> {
    const out = new Map<string, Entry>();
    this.entry.forEach((e, n) => e !== undefined && out.set(this.nodes.paths[n]!, e));
    return out;
  }

  /** Names directly below `dir` ('' for the top). */
  namesIn(dir: string): string[] {
    const n = this.nodes.find(dir);
    const out: string[] = [];
    if (n < 0 || n >= this.first.length) return out;
    for (let c = this.first[n]!; c !== NONE; c = this.next[c]!) out.push(baseName(this.nodes.paths[c]!));
    return out;
  }

  /** Every path strictly below `path`. */
  pathsBelow(path: string): string[] {
    const n = this.nodes.find(path);
    return n < 0 || n >= this.first.length ? [] : this.nodesBelow(n, []).map((c) => this.nodes.paths[c]!);
  }

  /** Every node strictly below `n`, depth first, pushed onto `out`. */
  nodesBelow(n: number, out: number[]): number[] {
    for (let c = this.first[n]!; c !== NONE; c = this.next[c]!) {
      out.push(c);
      this.nodesBelow(c, out);
    }
    return out;
  }

  private drop(n: number): void {
    const e = this.entry[n];
    if (e === undefined) return;
    this.removed(n, e);
    this.entry[n] = undefined;
    this.size--;
  }

  private link(n: number): void {
    const up = this.nodes.parent[n]!;
    if (this.linked[n] === 1) return;
    this.linked[n] = 1;
    this.next[n] = NONE;
    this.prev[n] = this.last[up]!;
    if (this.last[up] === NONE) this.first[up] = n;
    else this.next[this.last[up]!] = n;
    this.last[up] = n;
    this.kids[up]!++;
    this.named(up, n, true);
  }

  private unlink(n: number): void {
    if (this.linked[n] === 0) return;
    const up = this.nodes.parent[n]!;
    this.linked[n] = 0;
    const p = this.prev[n]!;
    const q = this.next[n]!;
    if (p === NONE) this.first[up] = q;
    else this.next[p] = q;
    if (q === NONE) this.last[up] = p;
    else this.prev[q] = p;
    this.kids[up]!--;
    this.named(up, n, false);
  }

  protected removeBelow(n: number): void {
    for (let c = this.first[n]!; c !== NONE; c = this.next[c]!) {
      this.removeBelow(c);
      this.drop(c);
      this.linked[c] = 0;
      this.named(n, c, false);
    }
    this.first[n] = NONE;
    this.last[n] = NONE;
    this.kids[n] = 0;
  }

  private removeNode(n: number): void {
    this.removeBelow(n);
    this.drop(n);
    this.unlink(n);
  }

  remove(path: string): void {
    const n = this.nodes.of(path);
    this.grow();
    this.removeNode(n);
  }

  private setNode(n: number, entry: Entry): void {
    this.link(n);
    const old = this.entry[n];
    if (old !== undefined) this.removed(n, old);
    else this.size++;
    this.entry[n] = entry;
    this.added(n, entry);
  }

  set(path: string, entry: Entry): void {
    const n = this.nodes.of(path);
    this.grow();
    this.setNode(n, entry);
  }

  /** Apply one layer's diff (items sorted by path, so a directory comes before its contents). */
  apply(items: readonly DiffItem[]): void {
    const ids = this.nodes.ofItems(items);
    this.grow();
    for (let i = 0; i < items.length; i += CHUNK) this.applyRange(items, ids, i, Math.min(items.length, i + CHUNK));
  }

  private applyRange(items: readonly DiffItem[], ids: Int32Array, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const item = items[i]!;
      const n = ids[i]!;
      const e = item.entry;
      if (item.whiteout || e === null) {
        this.removeNode(n);
        continue;
      }
      const old = this.entry[n];
      // Only a directory over a directory merges; anything else replaces the whole lower subtree.
      if (old !== undefined && (old.type !== 'dir' || e.type !== 'dir' || item.opaque)) this.removeBelow(n);
      this.setNode(n, e);
    }
  }
}
