// The reverse estimate for diff-based stores (overlay2, containers-storage): what the same layers
// would cost as legacy `overlay` chains, where every layer holds a complete tree, non-regular
// entries get a fresh inode per layer and unchanged regular files are hard links. Pure.
// Each layer's merged tree is built once; totals for any set of layers (the store, one image)
// are then combined from per-layer parts without merging again.
import { ZERO } from './counts.js';
import { dirBlocksOf, dirSources, recordBytes, type DirSource } from './estimate.js';
import { IdTable } from './id-table.js';
import { MergedTree } from './merge.js';
import { baseName } from './paths.js';
import type { Counts, DiffItem, Entry, LayerRef, LayerScan } from './types.js';
import { addLayerCopies, type PathCopies } from './waste.js';
import { CHUNK } from './chunks.js';

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
  /**
   * names per regular inode in this tree, indexed by the inode's number in `RegularIndex`; cut
   * after the highest number the tree ever held (a layer of a chain holds none of the layers above)
   */
  links: Uint32Array;
}

/** Regular inodes of all diffs numbered 0…n-1, so per-layer link counts are typed arrays, not maps. */
interface RegularIndex {
  /** inode id → its number here + 1 (0: not a regular inode of the diffs) */
  byId: IdTable;
  entries: Entry[];
}

function indexRegular(inputs: ChainedLayerInput[]): RegularIndex {
  const index: RegularIndex = { byId: new IdTable(), entries: [] };
  for (const i of inputs) {
    for (const e of i.scan.entries) {
      if (e.type === 'file' && index.byId.get(e.id) === 0) index.byId.set(e.id, index.entries.push(e));
    }
  }
  return index;
}

/**
 * An image's layers (bottom → top) whose path copies (waste.ts) are recorded while the merge for
 * the estimate passes through them: one merge of the layers instead of two. `done` says how many
 * layers were recorded: fewer than all when the image's layers are not a parent chain of the inputs.
 */
export interface CopyChain {
  layers: readonly string[];
  copies: PathCopies;
  done: number;
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

/**
 * A merged tree that keeps what a layer's part needs as it changes: names per regular inode,
 * non-regular inodes and their blocks, directory record bytes. Each layer then costs its diff,
 * not a walk of its whole merged tree (766 800 names over the bench root's 12 layers).
 */
class CountedTree extends MergedTree {
  readonly links: Uint32Array;
  /** 1 + the highest regular inode number counted in this tree so far (what `links` needs) */
  private hi: number;
  /** non-regular entries (each its own inode in a legacy root) */
  private nonFile: number;
  /** blocks of the non-regular entries that are not directories */
  private otherBlocks: number;
  /** node → bytes of its children's records in a directory block */
  private bytes: Int32Array;
  /** node → bytes of its own name's record (0: not known yet), shared by the copies of a tree */
  private readonly records: { of: Int32Array };

  constructor(private readonly index: RegularIndex, from?: CountedTree) {
    super(from);
    this.links = from ? from.links.slice() : new Uint32Array(index.entries.length);
    this.hi = from?.hi ?? 0;
    this.nonFile = from?.nonFile ?? 0;
    this.otherBlocks = from?.otherBlocks ?? 0;
    this.bytes = from ? from.bytes.slice() : new Int32Array(this.first.length);
    this.records = from?.records ?? { of: new Int32Array(this.first.length) };
  }

  protected override grow(): void {
    super.grow();
    const size = this.first.length;
    if (this.bytes.length < size) {
      const b = new Int32Array(size);
      b.set(this.bytes);
      this.bytes = b;
    }
    if (this.records.of.length < size) {
      const r = new Int32Array(size);
      r.set(this.records.of);
      this.records.of = r;
    }
  }

  protected override added(_n: number, e: Entry): void {
    this.count(e, 1);
  }

  protected override removed(_n: number, e: Entry): void {
    this.count(e, -1);
  }

  protected override named(dir: number, child: number, on: boolean): void {
    let rec = this.records.of[child]!;
    if (rec === 0) this.records.of[child] = rec = recordBytes(baseName(this.nodes.paths[child]!));
    this.bytes[dir]! += on ? rec : -rec;
  }

  private count(e: Entry, n: 1 | -1): void {
    if (e.type === 'file') {
      const i = this.index.byId.get(e.id) - 1;
      this.links[i]! += n;
      if (i >= this.hi) this.hi = i + 1;
    } else {
      this.nonFile += n;
      if (e.type !== 'dir') this.otherBlocks += n * e.blocks;
    }
  }

  partOf(top: Entry, sources: Map<Entry, DirSource>): LayerPart {
    // st_blocks of each directory as a fresh ext4 directory, the top dir's from its own entry.
    let disk = dirBlocksOf(this.kids[0]!, 24 + this.bytes[0]!, sources.get(top)) + this.otherBlocks;
    for (let n = 1; n < this.entry.length; n++) {
      const e = this.entry[n];
      if (e !== undefined && e.type === 'dir') disk += dirBlocksOf(this.kids[n]!, 24 + this.bytes[n]!, sources.get(e));
    }
    return { entries: this.size, ownInodes: 1 + this.nonFile, ownDisk: disk * 512, links: this.links.slice(0, this.hi) };
  }
}

/**
 * Counts of the regular inodes with a non-zero count in `present`, each with its link count from
 * `links` (the same array, or the store's counts for one layer's root). Summed by calls of 1 024
 * inodes into a typed array: one loop over the ~120 000 inodes, run once per layer, was compiled
 * by on-stack replacement per call (6–7 compiles a run), and the Counts fields it added to in the
 * loop deoptimised it ("not a Smi") when a sum left the small-integer range.
 */
function addRegular(c: Counts, present: Uint32Array, index: RegularIndex, links = present): void {
  SUMS.fill(0);
  SUMS[MAX_LINKS] = c.maxLinks;
  for (let i = 0; i < present.length; i += CHUNK) sumRegular(present, links, index.entries, i, Math.min(present.length, i + CHUNK));
  c.inodes += SUMS[INODES]!;
  c.regularBytes += SUMS[BYTES]!;
  c.diskBytes += SUMS[DISK]!;
  c.maxLinks = SUMS[MAX_LINKS]!;
}

/** addRegular's running sums (integers, exact in a double), by these indexes. */
const SUMS = new Float64Array(4);
const INODES = 0;
const BYTES = 1;
const DISK = 2;
const MAX_LINKS = 3;

function sumRegular(present: Uint32Array, links: Uint32Array, entries: readonly Entry[], from: number, to: number): void {
  for (let i = from; i < to; i++) {
    if (present[i] === 0) continue;
    const e = entries[i]!;
    SUMS[INODES]! += 1;
    SUMS[BYTES]! += e.size;
    SUMS[DISK]! += e.blocks * 512;
    if (links[i]! > SUMS[MAX_LINKS]!) SUMS[MAX_LINKS] = links[i]!;
  }
}

/**
 * The parts' link counts added up (as long as the longest part's), 1 024 inodes per call of
 * `addLinks`: as one loop per part (12 parts of ~120 000 on the bench root, a few times a run) it
 * ran in baseline code until on-stack replacement, ~90 M instructions in callgrind.
 */
function sumLinks(parts: readonly LayerPart[]): Uint32Array {
  let hi = 0;
  for (const p of parts) hi = Math.max(hi, p.links.length);
  const links = new Uint32Array(hi);
  for (const p of parts) {
    const own = p.links;
    for (let i = 0; i < own.length; i += CHUNK) addLinks(links, own, i, Math.min(own.length, i + CHUNK));
  }
  return links;
}

function addLinks(links: Uint32Array, own: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) links[i]! += own[i]!;
}

/** Totals over `parts`, whose link counts added up are `links`. */
function combine(parts: LayerPart[], links: Uint32Array, index: RegularIndex): Counts {
  const c: Counts = { ...ZERO };
  for (const p of parts) {
    c.entries += p.entries;
    c.inodes += p.ownInodes;
    c.diskBytes += p.ownDisk;
    if (p.ownInodes > 1) c.maxLinks = Math.max(c.maxLinks, 1);
  }
  addRegular(c, links, index);
  return c;
}

/** `chains`: images whose path copies to record on the way (see CopyChain). */
export function chainedCounts(inputs: ChainedLayerInput[], chains: CopyChain[] = []): ChainedResult {
  const sources = new Map<Entry, DirSource>();
  for (const i of inputs) for (const [, s] of dirSources(i.scan.top, i.scan.entries)) sources.set(s.entry, s);
  const index = indexRegular(inputs);
  const parts = new Map<string, LayerPart>();
  const children = childrenOf(inputs);
  // Depth first, handing the parent's tree to its last child and copying it only for the others:
  // a linear chain is merged in one tree instead of one copy per layer.
  // `live`: the chains whose layers so far are the path to this input, `depth` its place in them.
  const visit = (input: ChainedLayerInput, tree: CountedTree, live: CopyChain[], depth: number): void => {
    const here = live.filter((c) => c.layers[depth] === input.layer.cacheId);
    for (const c of here) {
      addLayerCopies(c.copies, depth, input.items, tree);
      c.done = depth + 1;
    }
    tree.apply(input.items);
    parts.set(input.layer.cacheId, tree.partOf(input.scan.top, sources));
    const kids = children.get(input.layer.cacheId) ?? [];
    kids.forEach((k, i) => visit(k, i === kids.length - 1 ? tree : new CountedTree(index, tree), here, depth + 1));
  };
  for (const base of children.get('') ?? []) visit(base, new CountedTree(index), chains, 0);
  // An image's layers, the layers present and the store's are often one set in other orders, and
  // totals are sums, the same in any order: each set of layers is added up once, keyed in sorted
  // order (the bench root's 12 layers were added up three times: 4.3 M link counts, ~190 M
  // instructions in callgrind, where 1.8 M now).
  const sorted = (ids: readonly string[]): string => [...ids].sort().join('\n');
  const linkSums = new Map<string, Uint32Array>();
  const linksOf = (key: string, of: LayerPart[]): Uint32Array => {
    let links = linkSums.get(key);
    if (links === undefined) linkSums.set(key, (links = sumLinks(of)));
    return links;
  };
  const totals = new Map<string, Counts>();
  const totalOf = (ids: readonly string[]): Counts => {
    const key = sorted(ids);
    let c = totals.get(key);
    if (c === undefined) {
      const of = ids.map((id) => parts.get(id)).filter((p): p is LayerPart => p !== undefined);
      totals.set(key, (c = combine(of, linksOf(sorted(ids.filter((id) => parts.has(id))), of), index)));
    }
    return { ...c };
  };
  // In a chained store every root links the same inode: a layer's link counts are the store's.
  const storeLinks = linksOf(sorted([...parts.keys()]), [...parts.values()]);
  const perLayer = new Map<string, Counts>();
  for (const [id, p] of parts) {
    const own: Counts = { entries: p.entries, inodes: p.ownInodes, regularBytes: 0, diskBytes: p.ownDisk, maxLinks: p.ownInodes > 1 ? 1 : 0 };
    addRegular(own, p.links, index, storeLinks);
    perLayer.set(id, own);
  }
  return { perLayer, totalOf };
}
