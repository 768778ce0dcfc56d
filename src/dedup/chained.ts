// The reverse estimate for diff-based stores (overlay2, containers-storage): what the same layers
// would cost as legacy `overlay` chains, where every layer holds a complete tree, non-regular
// entries get a fresh inode per layer and unchanged regular files are hard links. Pure.
import { dirBlocks, dirSources, type DirSource } from './estimate.js';
import { MergedTree } from './merge.js';
import type { Counts, DiffItem, Entry, LayerRef, LayerScan } from './types.js';

export interface ChainedLayerInput {
  layer: LayerRef;
  scan: LayerScan;
  items: DiffItem[];
}

/** Per-layer chained counts plus the union over all layers (regular inodes shared across layers). */
export interface ChainedResult {
  perLayer: Map<string, Counts>;
  total: Counts;
}

function parentsFirst(inputs: ChainedLayerInput[]): ChainedLayerInput[] {
  const byId = new Map(inputs.map((i) => [i.layer.cacheId, i]));
  const done = new Set<string>();
  const out: ChainedLayerInput[] = [];
  const visit = (i: ChainedLayerInput): void => {
    if (done.has(i.layer.cacheId)) return;
    done.add(i.layer.cacheId);
    const parent = byId.get(i.layer.parent);
    if (parent) visit(parent);
    out.push(i);
  };
  for (const i of inputs) visit(i);
  return out;
}

export function chainedCounts(inputs: ChainedLayerInput[]): ChainedResult {
  const sources = new Map<Entry, DirSource>();
  for (const i of inputs) for (const [, s] of dirSources(i.scan.top, i.scan.entries)) sources.set(s.entry, s);
  const trees = new Map<string, MergedTree>();
  const perLayer = new Map<string, Counts>();
  const total: Counts = { entries: 0, inodes: 0, regularBytes: 0, diskBytes: 0, maxLinks: 0 };
  const regularLinks = new Map<string, number>();
  const regularByLayer = new Map<string, Set<string>>();
  for (const input of parentsFirst(inputs)) {
    const tree = new MergedTree(trees.get(input.layer.parent));
    tree.apply(input.items);
    trees.set(input.layer.cacheId, tree);
    const own: Counts = { entries: tree.entries.size, inodes: 1, regularBytes: 0, diskBytes: 0, maxLinks: 0 };
    const topBlocks = dirBlocks(tree.namesIn(''), sources.get(input.scan.top)) * 512;
    own.diskBytes += topBlocks;
    total.inodes++;
    total.diskBytes += topBlocks;
    total.entries += tree.entries.size;
    const ownRegular = new Set<string>();
    for (const [path, e] of tree.entries) {
      if (e.type === 'file') {
        regularLinks.set(e.inode, (regularLinks.get(e.inode) ?? 0) + 1);
        if (ownRegular.has(e.inode)) continue;
        ownRegular.add(e.inode);
        own.inodes++;
        own.regularBytes += e.size;
        own.diskBytes += e.blocks * 512;
        continue;
      }
      const bytes = (e.type === 'dir' ? dirBlocks(tree.namesIn(path), sources.get(e)) : e.blocks) * 512;
      own.inodes++;
      own.diskBytes += bytes;
      own.maxLinks = Math.max(own.maxLinks, 1);
      total.inodes++;
      total.diskBytes += bytes;
      total.maxLinks = Math.max(total.maxLinks, 1);
    }
    perLayer.set(input.layer.cacheId, own);
    regularByLayer.set(input.layer.cacheId, ownRegular);
  }
  // A regular file shared by N layer roots has N links in every one of them.
  for (const [id, inodes] of regularByLayer) {
    const c = perLayer.get(id)!;
    for (const ino of inodes) c.maxLinks = Math.max(c.maxLinks, regularLinks.get(ino)!);
  }
  for (const i of inputs) {
    for (const e of i.scan.entries) {
      const links = regularLinks.get(e.inode);
      if (links === undefined || e.type !== 'file') continue;
      regularLinks.delete(e.inode);
      total.inodes++;
      total.regularBytes += e.size;
      total.diskBytes += e.blocks * 512;
      total.maxLinks = Math.max(total.maxLinks, links);
    }
  }
  return { perLayer, total };
}
