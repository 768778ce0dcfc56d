// Path-level waste as dive defines it, per image: a path written in one layer and overwritten or
// deleted in a later one keeps its earlier copies in the image. Reported both as dive's
// wastedBytes (every copy) and as N−1 reclaimable copies (dive#684), with metadata-only rewrites
// (chmod/chown/touch that duplicated the whole file) flagged by content hash. Pure.
import type { ContentHashes } from './content-hashes.js';
import { CHUNK } from './chunks.js';
import { MergedTree, type PathNodes } from './merge.js';
import type { ImageWaste, WastePath } from './report.js';
import type { DiffItem, Entry } from './types.js';

/** Paths listed per image in the report; the totals stay exact. */
export const MAX_WASTE_PATHS = 50;

interface Copy {
  layer: number;
  size: number;
  entry: Entry | null;
}

/**
 * Every non-directory copy per path across the layers (bottom → top), deletions as size-0 copies;
 * kept per path node of the tree they were recorded on, paths in the order first met. Most paths
 * have one copy (117 700 of 118 800 on the bench root): it is kept in typed arrays, and a list of
 * Copy objects is made only when a second copy comes (no two long-lived objects per file).
 */
export class PathCopies {
  private nodes: PathNodes | undefined;
  private layer = new Int32Array(0);
  private size0 = new Float64Array(0);
  private entry: Array<Entry | null> = [];
  /** the whole list, once a path has two copies or more */
  private readonly lists: Array<Copy[] | undefined> = [];
  /** nodes with copies, in the order their first copy came */
  private readonly order: number[] = [];

  /** Record a copy of node `n` of `tree`'s paths (every copy of one PathCopies on the same paths). */
  add(tree: MergedTree, n: number, layer: number, size: number, entry: Entry | null): void {
    this.nodes ??= tree.nodes;
    if (this.nodes !== tree.nodes) throw new Error('path copies recorded on two different trees');
    if (n >= this.layer.length) this.grow(n);
    if (this.layer[n] === 0) {
      this.layer[n] = layer + 1;
      this.size0[n] = size;
      this.entry[n] = entry;
      this.order.push(n);
      return;
    }
    const list = (this.lists[n] ??= [{ layer: this.layer[n]! - 1, size: this.size0[n]!, entry: this.entry[n]! }]);
    list.push({ layer, size, entry });
  }

  private grow(n: number): void {
    const cap = Math.max(1024, 2 * n);
    const layer = new Int32Array(cap);
    layer.set(this.layer);
    const size0 = new Float64Array(cap);
    size0.set(this.size0);
    this.layer = layer;
    this.size0 = size0;
    while (this.entry.length < cap) this.entry.push(null);
    while (this.lists.length < cap) this.lists.push(undefined);
  }

  get size(): number {
    return this.order.length;
  }

  get(path: string): Copy[] | undefined {
    const n = this.nodes?.find(path) ?? -1;
    return n < 0 || n >= this.layer.length || this.layer[n] === 0 ? undefined : this.listOf(n);
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** [path, copies] per path, in the order first met. */
  *[Symbol.iterator](): Generator<[string, Copy[]]> {
    for (const n of this.order) yield [this.nodes!.paths[n]!, this.listOf(n)];
  }

  /** Nodes with copies, in the order first met. */
  get nodesInOrder(): readonly number[] {
    return this.order;
  }

  /** The copies of node `n` when it has more than one, else undefined (see `only*`). */
  several(n: number): Copy[] | undefined {
    return this.lists[n];
  }

  /** The layer and size of the single copy of node `n`. */
  onlyLayer(n: number): number {
    return this.layer[n]! - 1;
  }

  onlySize(n: number): number {
    return this.size0[n]!;
  }

  /** The entry of the single copy of node `n` (null: a deletion). */
  onlyEntry(n: number): Entry | null {
    return this.entry[n]!;
  }

  private listOf(n: number): Copy[] {
    return this.lists[n] ?? [{ layer: this.layer[n]! - 1, size: this.size0[n]!, entry: this.entry[n]! }];
  }

  pathOf(n: number): string {
    return this.nodes!.paths[n]!;
  }
}

/**
 * The copies layer number `layer` (its diff `items`) adds on top of `tree`, the layers below it
 * merged; `tree` is left as it is. chained.ts calls this while it merges the same layers for the
 * chained estimate, so the layers of an overlay2 root are merged once for both.
 * Deletions a layer causes: whiteouts, opaque dirs and non-dirs replacing dirs hide lower paths.
 */
export function addLayerCopies(copies: PathCopies, layer: number, items: readonly DiffItem[], tree: MergedTree): void {
  const ids = tree.nodes.ofItems(items);
  const hidden: number[] = [];
  // Per 1 024 items, as `PathNodes.ofItems`: one loop per layer was compiled by on-stack replacement per layer.
  for (let i = 0; i < items.length; i += CHUNK) addCopies(copies, layer, items, ids, tree, hidden, i, Math.min(items.length, i + CHUNK));
}

function addCopies(copies: PathCopies, layer: number, items: readonly DiffItem[], ids: Int32Array, tree: MergedTree, hidden: number[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const item = items[i]!;
    const n = ids[i]!;
    const e = item.entry;
    const old = tree.at(n);
    if (old !== undefined) {
      // The subtree is listed only when it is hidden: a dir over a dir (every parent of a change in
      // an overlay2 diff) hides nothing, and listing its subtree was most of this function's time.
      hidden.length = 0;
      if (item.whiteout || e === null) {
        hidden.push(n);
        tree.nodesBelow(n, hidden);
      } else if (old.type === 'dir' && (e.type !== 'dir' || item.opaque)) tree.nodesBelow(n, hidden);
      for (const p of hidden) if (tree.at(p)?.type !== 'dir') copies.add(tree, p, layer, 0, null);
    }
    if (!item.whiteout && e && e.type !== 'dir') copies.add(tree, n, layer, e.type === 'file' ? e.size : 0, e);
  }
}

/** Every non-directory copy per path across the layers (bottom → top), deletions as size-0 copies. */
export function pathCopies(layers: readonly DiffItem[][]): PathCopies {
  const copies = new PathCopies();
  const tree = new MergedTree();
  layers.forEach((items, layer) => {
    addLayerCopies(copies, layer, items, tree);
    tree.apply(items);
  });
  return copies;
}

function sameContent(a: Entry | null, b: Entry | null, hashes: ContentHashes): boolean {
  if (!a || !b || a.type !== 'file' || b.type !== 'file' || a.size !== b.size || a.id === b.id) return false;
  if (a.size === 0) return true;
  return hashes.same(a.id, b.id);
}

function wastePath(path: string, list: Copy[], hashes: ContentHashes): WastePath {
  const last = list[list.length - 1]!;
  const deleted = last.entry === null;
  const totalBytes = list.reduce((n, c) => n + c.size, 0);
  let metadataOnly = false;
  for (let i = 1; i < list.length; i++) metadataOnly ||= sameContent(list[i - 1]!.entry, list[i]!.entry, hashes);
  return {
    path,
    layers: list.map((c) => c.layer),
    totalBytes,
    reclaimableBytes: deleted ? totalBytes : totalBytes - last.size,
    deleted,
    metadataOnly,
  };
}

/**
 * The regular-file inodes the image shows at its top (each path's last copy in the first `upTo`
 * layers): an earlier copy of a path that is one of these, under another hard-linked name, frees
 * nothing when its own name is deleted or overwritten (a review: a deleted hard link counted 7
 * bytes reclaimable while hl1 and hl3 kept the inode).
 */
function visibleInodes(copies: PathCopies, upTo: number): Set<number> {
  const seen = new Set<number>();
  for (const n of copies.nodesInOrder) {
    const all = copies.several(n);
    if (all === undefined) {
      const e = copies.onlyEntry(n);
      if (copies.onlyLayer(n) < upTo && e?.type === 'file') seen.add(e.id);
      continue;
    }
    const list = below(all, upTo);
    const e = list[list.length - 1]?.entry;
    if (e?.type === 'file') seen.add(e.id);
  }
  return seen;
}

/** `list` with the earlier copies the image still shows through another name counted as 0 bytes. */
function unseenSizes(list: Copy[], visible: ReadonlySet<number>): Copy[] {
  const last = list.length - 1;
  if (!list.some((c, i) => i < last && c.entry !== null && c.size > 0 && visible.has(c.entry.id))) return list;
  return list.map((c, i) => (i < last && c.entry !== null && visible.has(c.entry.id) ? { ...c, size: 0 } : c));
}

/** An image's waste before analyse says which store the image is in. */
export type StorelessWaste = Omit<ImageWaste, 'driver'>;

export function imageWaste(image: string, layers: readonly DiffItem[][], hashes: ContentHashes): StorelessWaste {
  return wasteOfCopies(image, pathCopies(layers), hashes);
}

/** The copies a path had in the first `upTo` layers (copies are listed bottom → top). */
function below(list: Copy[], upTo: number): Copy[] {
  let n = list.length;
  while (n > 0 && list[n - 1]!.layer >= upTo) n--;
  return n === list.length ? list : list.slice(0, n);
}

/**
 * The waste of an image from its path copies (computed before the content hashes are known).
 * `upTo`: the image's layer count when `copies` are those of a longer chain it is the bottom of
 * (the copies a layer adds depend only on the layers below it, so the image's are a prefix).
 */
export function wasteOfCopies(image: string, copies: PathCopies, hashes: ContentHashes, upTo = Infinity): StorelessWaste {
  let sumMin = 0;
  let sumAll = 0;
  let metadataOnlyBytes = 0;
  const paths: WastePath[] = [];
  const visible = visibleInodes(copies, upTo);
  for (const n of copies.nodesInOrder) {
    const all = copies.several(n);
    if (all === undefined) {
      // One copy: no waste, only its share of the efficiency.
      if (copies.onlyLayer(n) >= upTo) continue;
      sumMin += copies.onlySize(n);
      sumAll += copies.onlySize(n);
      continue;
    }
    const copied = below(all, upTo);
    const list = unseenSizes(copied, visible);
    if (list.length === 0) continue;
    // Every earlier copy still shown under another name: the path holds only its last copy.
    const shownElsewhere = list !== copied && list.every((c, i) => i === list.length - 1 || c.size === 0);
    if (list.length < 2 || shownElsewhere) {
      sumMin += list[list.length - 1]!.size;
      sumAll += list[list.length - 1]!.size;
      continue;
    }
    const sizes = list.map((c) => c.size);
    sumMin += Math.min(...sizes);
    sumAll += sizes.reduce((a, b) => a + b, 0);
    paths.push(wastePath(copies.pathOf(n), list, hashes));
    // A metadata-only rewrite duplicated the bytes even where the old copy is still shown elsewhere.
    for (let i = 1; i < copied.length; i++) {
      if (sameContent(copied[i - 1]!.entry, copied[i]!.entry, hashes)) metadataOnlyBytes += copied[i - 1]!.size;
    }
  }
  paths.sort((a, b) => b.reclaimableBytes - a.reclaimableBytes || a.path.localeCompare(b.path));
  return {
    image,
    wastedBytes: paths.reduce((n, p) => n + p.totalBytes, 0),
    reclaimableBytes: paths.reduce((n, p) => n + p.reclaimableBytes, 0),
    efficiency: sumAll > 0 ? sumMin / sumAll : 1,
    metadataOnlyBytes,
    paths: paths.slice(0, MAX_WASTE_PATHS),
  };
}
