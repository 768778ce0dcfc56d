// The reverse estimate for diff-based stores (overlay2, containers-storage): what the same layers
// would cost as legacy `overlay` chains, where every layer holds a complete tree, non-regular
// entries get a fresh inode per layer and unchanged regular files are hard links. Pure.
// Each layer's merged tree is built once; totals for any set of layers (the store, one image)
// are then combined from per-layer parts without merging again.
import { ZERO } from './counts.js';
import { dirBlocks, dirSources, type DirSource } from './estimate.js';
import { MergedTree } from './merge.js';
import type { Counts, DiffItem, Entry, LayerRef, LayerScan } from './types.js';

export interface ChainedLayerInput {
  layer: LayerRef;
  scan: LayerScan;
  items: DiffItem[];
}

/** One layer's full tree as a legacy root: its own inodes, and the regular inodes it links to. */
interface LayerPart {
  entries: number;
  /** inodes and disk of the top dir and every non-regular entry (never shared between layers) */
  ownInodes: number;
  ownDisk: number;
  /** regular inode → names it has in this tree */
  regular: Map<string, number>;
}

export interface ChainedResult {
  /** each layer's root on its own (its regular files' link counts are those of the whole store) */
  perLayer: Map<string, Counts>;
  /** totals over a set of layers: regular inodes counted once, links as that set's roots make them */
  totalOf(ids: readonly string[]): Counts;
}

/** Layers grouped under their parent ('' for layers whose parent is not among the inputs). */
function childrenOf(inputs: ChainedLayerInput[]): Map<string, ChainedLayerInput[]> {
  const ids = new Set(inputs.map((i) => i.layer.cacheId));
  const out = new Map<string, ChainedLayerInput[]>();
  for (const i of inputs) {
    const parent = ids.has(i.layer.parent) ? i.layer.parent : '';
    out.set(parent, [...(out.get(parent) ?? []), i]);
  }
  return out;
}

function partOf(tree: MergedTree, top: Entry, sources: Map<Entry, DirSource>, files: Map<string, Entry>): LayerPart {
  const part: LayerPart = { entries: tree.entries.size, ownInodes: 1, ownDisk: dirBlocks(tree.namesIn(''), sources.get(top)) * 512, regular: new Map() };
  for (const [path, e] of tree.entries) {
    if (e.type === 'file') {
      part.regular.set(e.inode, (part.regular.get(e.inode) ?? 0) + 1);
      files.set(e.inode, e);
      continue;
    }
    part.ownInodes++;
    part.ownDisk += (e.type === 'dir' ? dirBlocks(tree.namesIn(path), sources.get(e)) : e.blocks) * 512;
  }
  return part;
}

function combine(parts: LayerPart[], files: Map<string, Entry>): Counts {
  const c: Counts = { ...ZERO };
  const links = new Map<string, number>();
  for (const p of parts) {
    c.entries += p.entries;
    c.inodes += p.ownInodes;
    c.diskBytes += p.ownDisk;
    if (p.ownInodes > 1) c.maxLinks = Math.max(c.maxLinks, 1);
    for (const [ino, n] of p.regular) links.set(ino, (links.get(ino) ?? 0) + n);
  }
  for (const [ino, n] of links) {
    const e = files.get(ino)!;
    c.inodes++;
    c.regularBytes += e.size;
    c.diskBytes += e.blocks * 512;
    c.maxLinks = Math.max(c.maxLinks, n);
  }
  return c;
}

export function chainedCounts(inputs: ChainedLayerInput[]): ChainedResult {
  const sources = new Map<Entry, DirSource>();
  for (const i of inputs) for (const [, s] of dirSources(i.scan.top, i.scan.entries)) sources.set(s.entry, s);
  const parts = new Map<string, LayerPart>();
  const files = new Map<string, Entry>();
  const children = childrenOf(inputs);
  // Depth first, handing the parent's tree to its last child and copying it only for the others:
  // a linear chain is merged in one tree instead of one copy per layer.
  const visit = (input: ChainedLayerInput, tree: MergedTree): void => {
    tree.apply(input.items);
    parts.set(input.layer.cacheId, partOf(tree, input.scan.top, sources, files));
    const kids = children.get(input.layer.cacheId) ?? [];
    kids.forEach((k, i) => visit(k, i === kids.length - 1 ? tree : new MergedTree(tree)));
  };
  for (const base of children.get('') ?? []) visit(base, new MergedTree());
  const totalOf = (ids: readonly string[]): Counts =>
    combine(ids.map((id) => parts.get(id)).filter((p): p is LayerPart => p !== undefined), files);
  const storeLinks = new Map<string, number>();
  for (const p of parts.values()) for (const [ino, n] of p.regular) storeLinks.set(ino, (storeLinks.get(ino) ?? 0) + n);
  const perLayer = new Map<string, Counts>();
  for (const [id, p] of parts) {
    const own: Counts = { entries: p.entries, inodes: p.ownInodes, regularBytes: 0, diskBytes: p.ownDisk, maxLinks: p.ownInodes > 1 ? 1 : 0 };
    for (const ino of p.regular.keys()) {
      const e = files.get(ino)!;
      own.inodes++;
      own.regularBytes += e.size;
      own.diskBytes += e.blocks * 512;
      // In a chained store every root links the same inode: the link count is the store's.
      own.maxLinks = Math.max(own.maxLinks, storeLinks.get(ino)!);
    }
    perLayer.set(id, own);
  }
  return { perLayer, totalOf };
}
