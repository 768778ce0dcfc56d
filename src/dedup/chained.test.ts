import t from 'tap';
import { dir, entry, file, scan } from '../../test/helpers/entries.js';
import { chainedCounts, type ChainedLayerInput, type CopyChain } from './chained.js';
import { dirBlocks, dirSources, type DirSource } from './estimate.js';
import { overlayDiff } from './diff-overlay.js';
import { MergedTree } from './merge.js';
import type { Counts, Entry, LayerRef, LayerScan } from './types.js';
import { PathCopies, pathCopies } from './waste.js';

const whiteout = (path: string): Entry => entry(path, { type: 'char', perm: 0, rdev: 0 });
const opaque = (path: string): Entry => dir(path, { xattrs: [['trusted.overlay.opaque', Buffer.from('y')]] });
const many = (d: string, n: number, size: number): Entry[] =>
  Array.from({ length: n }, (_, i) => file(`${d}/a-name-long-enough-to-fill-blocks-${i}`, size));

function input(id: string, parent: string, s: LayerScan): ChainedLayerInput {
  const layer: LayerRef = { cacheId: id, chainId: '', diffId: '', size: 0, role: 'image', dir: s.dir, parent };
  return { layer, scan: s, items: overlayDiff(s) };
}

const link = file('h1', 7);
const base = input('b', '', scan([
  dir('a/'), file('a/x', 10), file('a/y', 20), dir('d/'), ...many('d', 200, 30), dir('e/'), file('t', 5),
  entry('s', { type: 'symlink', target: 'a', size: 1 }), link, { ...link, path: 'h2', nlink: 2 }, dir('c/'), file('c/k', 3),
  dir('g/'), ...many('g', 300, 8),
]));
const mid = input('m', 'b', scan([
  dir('a/'), whiteout('a/x'), file('a/n', 40), whiteout('d'), dir('t/'), file('t/in', 2), file('e', 9),
  opaque('c/'), file('c/o', 4), dir('g/'), file('g/more', 1),
]));
const top1 = input('p1', 'm', scan([whiteout('a'), dir('x/'), ...many('x', 150, 50)]));
const top2 = input('p2', 'm', scan([dir('a/'), ...many('a', 50, 60), whiteout('t')]));

/** The oracle: one layer's legacy root counted by walking its whole merged tree. */
function walked(tree: MergedTree, top: Entry, sources: Map<Entry, DirSource>): Counts {
  const links = new Map<string, number>();
  let own = 1;
  let disk = dirBlocks(tree.namesIn(''), sources.get(top)) * 512;
  let regularBytes = 0;
  for (const [path, e] of tree.entries) {
    if (e.type === 'file') {
      if (!links.has(e.inode)) (regularBytes += e.size), (disk += e.blocks * 512);
      links.set(e.inode, (links.get(e.inode) ?? 0) + 1);
      continue;
    }
    own++;
    disk += (e.type === 'dir' ? dirBlocks(tree.namesIn(path), sources.get(e)) : e.blocks) * 512;
  }
  const maxLinks = Math.max(own > 1 ? 1 : 0, ...links.values());
  return { entries: tree.entries.size, inodes: own + links.size, regularBytes, diskBytes: disk, maxLinks };
}

t.test('per-layer totals kept while merging equal a walk of each merged tree, branches included', async (t) => {
  const inputs = [base, mid, top1, top2];
  const sources = new Map<Entry, DirSource>();
  for (const i of inputs) for (const [, s] of dirSources(i.scan.top, i.scan.entries)) sources.set(s.entry, s);
  const r = chainedCounts(inputs);
  const tree = new MergedTree();
  for (const i of [base, mid]) {
    tree.apply(i.items);
    t.same(r.totalOf([i.layer.cacheId]), walked(tree, i.scan.top, sources), i.layer.cacheId);
  }
  for (const i of [top1, top2]) {
    const branch = new MergedTree(tree);
    branch.apply(i.items);
    t.same(r.totalOf([i.layer.cacheId]), walked(branch, i.scan.top, sources), i.layer.cacheId);
  }
  // g/ (an htree of 300 names) merges with the layer above's g/: its names stay counted.
  t.ok(r.totalOf(['m']).diskBytes > 4 * 4096, 'the merged htree is more than a few blocks');
});

t.test("a layer's own totals count each regular inode's links over the whole store", async (t) => {
  const inputs = [base, mid, top1, top2];
  const r = chainedCounts(inputs);
  const trees = new Map<string, MergedTree>();
  const tree = new MergedTree();
  for (const i of [base, mid]) {
    tree.apply(i.items);
    trees.set(i.layer.cacheId, new MergedTree(tree));
  }
  for (const i of [top1, top2]) {
    const branch = new MergedTree(tree);
    branch.apply(i.items);
    trees.set(i.layer.cacheId, branch);
  }
  // The oracle: names per regular inode over every layer's root.
  const store = new Map<number, number>();
  for (const m of trees.values()) for (const e of m.entries.values()) if (e.type === 'file') store.set(e.id, (store.get(e.id) ?? 0) + 1);
  for (const [id, m] of trees) {
    const files = [...m.entries.values()].filter((e) => e.type === 'file');
    const own = r.perLayer.get(id)!;
    t.equal(own.maxLinks, Math.max(1, ...files.map((e) => store.get(e.id)!)), `${id} maxLinks`);
    t.equal(own.regularBytes, r.totalOf([id]).regularBytes, `${id} regularBytes`);
  }
  t.ok(Math.max(...store.values()) > 2, 'some inode has names in several roots');
});

t.test('path copies recorded during the merge are those of a merge of the image alone', async (t) => {
  const inputs = [base, mid, top1, top2];
  const fresh = (layers: string[]): CopyChain => ({ layers, copies: new PathCopies(), done: 0 });
  // Both branches, a chain that is the bottom of both, one whose layers are not a parent chain.
  const chains = [fresh(['b', 'm', 'p1']), fresh(['b', 'm', 'p2']), fresh(['b', 'm']), fresh(['b', 'p1'])];
  chainedCounts(inputs, chains);
  const byId = new Map(inputs.map((i) => [i.layer.cacheId, i.items]));
  for (const c of chains.slice(0, 3)) {
    t.equal(c.done, c.layers.length, c.layers.join(','));
    t.ok(c.copies.size > 0, 'copies recorded');
    t.same([...c.copies], [...pathCopies(c.layers.map((id) => byId.get(id)!))], c.layers.join(','));
  }
  t.equal(chains[3]!.done, 1, 'a chain that leaves the parent chain stops being recorded');
});

t.test('totals over more regular inodes than one call of the sums (1 024) equal a walk of each merged tree', async (t) => {
  // Every size different, so an inode summed twice or skipped at a chunk's edge changes the bytes.
  const name = (i: number): string => `d/f${String(i).padStart(5, '0')}`;
  const lower = input('L', '', scan([dir('d/'), ...Array.from({ length: 2500 }, (_, i) => file(name(i), i + 1))]));
  // The upper layer deletes the files on either side of both chunk edges and adds 300 more, some
  // hard links of one new inode (its link count is the highest).
  const gone = [1022, 1023, 1024, 1025, 2046, 2047, 2048, 2049];
  const shared = file('e/s0', 5000, { nlink: 3 });
  const upper = input('U', 'L', scan([
    dir('d/'), ...gone.map((i) => whiteout(name(i))), dir('e/'),
    ...Array.from({ length: 300 }, (_, i) => file(`e/n${i}`, 10_000 + i)), shared, { ...shared, path: 'e/s1' }, { ...shared, path: 'e/s2' },
  ]));
  const inputs = [lower, upper];
  const sources = new Map<Entry, DirSource>();
  for (const i of inputs) for (const [, s] of dirSources(i.scan.top, i.scan.entries)) sources.set(s.entry, s);
  const r = chainedCounts(inputs);
  const tree = new MergedTree();
  const walks: Counts[] = [];
  for (const i of inputs) {
    tree.apply(i.items);
    walks.push(walked(tree, i.scan.top, sources));
    t.same(r.totalOf([i.layer.cacheId]), walks.at(-1), i.layer.cacheId);
  }
  t.equal(walks[0]!.regularBytes, (2500 * 2501) / 2, 'the lower root: every size once');
  t.equal(walks[1]!.maxLinks, 3);
  // Both roots: each regular inode once (the upper root links all of the lower's it kept).
  const both = r.totalOf(['L', 'U']);
  const lowerOnly = gone.reduce((n, i) => n + i + 1, 0);
  t.equal(both.regularBytes, walks[1]!.regularBytes + lowerOnly, 'the deleted files only in the lower root');
  t.equal(both.inodes, walks[0]!.inodes + walks[1]!.inodes - (2500 - gone.length), 'the kept files counted once');
  t.equal(r.perLayer.get('L')!.maxLinks, 2, "the lower root's files have a name in the upper one too");
  t.equal(r.perLayer.get('L')!.regularBytes, walks[0]!.regularBytes);
});

t.test('totals of one set of layers are the same in any order, from one result or a fresh one each', async (t) => {
  const inputs = [base, mid, top1, top2];
  const shared = chainedCounts(inputs);
  const sets = [['b', 'm', 'p1'], ['p1', 'b', 'm'], ['m', 'p1', 'b', 'not-a-layer'], ['p2', 'p1', 'm', 'b'], ['b', 'm', 'p1', 'p2'], ['b', 'm', 'p2']];
  for (const ids of sets) t.same(shared.totalOf(ids), chainedCounts(inputs).totalOf(ids), ids.join(' '));
  t.same(shared.totalOf(['p1', 'm', 'b']), shared.totalOf(['b', 'm', 'p1']));
  t.not(shared.totalOf(['b', 'm', 'p2']).regularBytes, shared.totalOf(['b', 'm', 'p1']).regularBytes, 'another set, other totals');
  t.not(shared.totalOf(['b', 'm', 'p1', 'p2']).inodes, shared.totalOf(['b', 'm', 'p1']).inodes);
  // A layer listed twice is added twice, as the list asks (its key is not that of the set).
  t.not(shared.totalOf(['b', 'b']).entries, shared.totalOf(['b']).entries);
  const copy = shared.totalOf(['b', 'm']);
  copy.entries = -1;
  t.not(shared.totalOf(['m', 'b']).entries, -1, 'each answer is a copy');
});
