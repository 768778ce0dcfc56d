// Path-level waste as dive defines it, per image: a path written in one layer and overwritten or
// deleted in a later one keeps its earlier copies in the image. Reported both as dive's
// wastedBytes (every copy) and as N−1 reclaimable copies (dive#684), with metadata-only rewrites
// (chmod/chown/touch that duplicated the whole file) flagged by content hash. Pure.
import { MergedTree } from './merge.js';
import type { ImageWaste, WastePath } from './report.js';
import type { DiffItem, Entry } from './types.js';

/** Paths listed per image in the report; the totals stay exact. */
export const MAX_WASTE_PATHS = 50;

interface Copy {
  layer: number;
  size: number;
  entry: Entry | null;
}

function record(copies: Map<string, Copy[]>, path: string, copy: Copy): void {
  const list = copies.get(path);
  if (list) list.push(copy);
  else copies.set(path, [copy]);
}

/** Deletions a layer causes: whiteouts, opaque dirs and non-dirs replacing dirs hide lower paths. */
function hiddenBy(item: DiffItem, tree: MergedTree): string[] {
  const old = tree.entries.get(item.path);
  if (!old) return [];
  // The subtree is listed only when it is hidden: a dir over a dir (every parent of a change in
  // an overlay2 diff) hides nothing, and listing its subtree was most of this function's time.
  if (item.whiteout || item.entry === null) return [item.path, ...tree.pathsBelow(item.path)];
  if (old.type === 'dir' && (item.entry.type !== 'dir' || item.opaque)) return tree.pathsBelow(item.path);
  return [];
}

/**
 * The copies layer number `layer` (its diff `items`) adds on top of `tree`, the layers below it
 * merged; `tree` is left as it is. chained.ts calls this while it merges the same layers for the
 * chained estimate, so the layers of an overlay2 root are merged once for both.
 */
export function addLayerCopies(copies: PathCopies, layer: number, items: readonly DiffItem[], tree: MergedTree): void {
  for (const item of items) {
    for (const p of hiddenBy(item, tree)) {
      if (tree.entries.get(p)?.type !== 'dir') record(copies, p, { layer, size: 0, entry: null });
    }
    const e = item.entry;
    if (!item.whiteout && e && e.type !== 'dir') record(copies, item.path, { layer, size: e.type === 'file' ? e.size : 0, entry: e });
  }
}

/** Every non-directory copy per path across the layers (bottom → top), deletions as size-0 copies. */
export function pathCopies(layers: readonly DiffItem[][]): PathCopies {
  const copies: PathCopies = new Map();
  const tree = new MergedTree();
  layers.forEach((items, layer) => {
    addLayerCopies(copies, layer, items, tree);
    tree.apply(items);
  });
  return copies;
}

function sameContent(a: Entry | null, b: Entry | null, hashes: Map<number, string>): boolean {
  if (!a || !b || a.type !== 'file' || b.type !== 'file' || a.size !== b.size || a.id === b.id) return false;
  if (a.size === 0) return true;
  const ha = hashes.get(a.id);
  return ha !== undefined && ha === hashes.get(b.id);
}

function wastePath(path: string, list: Copy[], hashes: Map<number, string>): WastePath {
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

export type PathCopies = Map<string, Copy[]>;

export function imageWaste(image: string, layers: readonly DiffItem[][], hashes: Map<number, string>): ImageWaste {
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
export function wasteOfCopies(image: string, copies: PathCopies, hashes: Map<number, string>, upTo = Infinity): ImageWaste {
  let sumMin = 0;
  let sumAll = 0;
  let metadataOnlyBytes = 0;
  const paths: WastePath[] = [];
  for (const [path, all] of copies) {
    const list = below(all, upTo);
    if (list.length === 0) continue;
    if (list.length < 2) {
      sumMin += list[0]!.size;
      sumAll += list[0]!.size;
      continue;
    }
    const sizes = list.map((c) => c.size);
    sumMin += Math.min(...sizes);
    sumAll += sizes.reduce((a, b) => a + b, 0);
    paths.push(wastePath(path, list, hashes));
    for (let i = 1; i < list.length; i++) {
      if (sameContent(list[i - 1]!.entry, list[i]!.entry, hashes)) metadataOnlyBytes += list[i - 1]!.size;
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
