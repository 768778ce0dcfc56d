import t from 'tap';
import { dir, file, hashesOf, numbered } from '../../test/helpers/entries.js';
import { imageWaste, pathCopies, wasteOfCopies } from './waste.js';
import type { DiffItem, Entry } from './types.js';

const put = (e: Entry, opaque = false): DiffItem => ({ path: e.path, whiteout: false, entry: e, opaque, reason: 'added' });
const wh = (path: string): DiffItem => ({ path, whiteout: true, entry: null, opaque: false, reason: 'deleted' });

const big = file('d/big', 1000, { inode: '1:1' });
const chmodded = numbered({ ...big, inode: '1:2', perm: 0o600 });
const layers: DiffItem[][] = [
  [put(dir('d')), put(big), put(file('d/sub-x', 10)), put(file('keep', 7))],
  [put(dir('d')), put(chmodded)],
  [wh('d')],
  [put(dir('d')), put(file('d/big', 3, { inode: '1:3' }))],
];

t.test('every copy of a path, deletions (also by a dir whiteout) as size 0', async (t) => {
  const c = pathCopies(layers);
  t.same(c.get('d/big')!.map((x) => [x.layer, x.size]), [[0, 1000], [1, 1000], [2, 0], [3, 3]]);
  t.same(c.get('d/sub-x')!.map((x) => [x.layer, x.size]), [[0, 10], [2, 0]]);
  t.same(c.get('keep')!.length, 1);
  t.notOk(c.has('d'), 'directories are not paths with content');
});

t.test('dive numbers, N-1 reclaimable and metadata-only rewrites', async (t) => {
  const hashes = hashesOf([['1:1', 'a1'], ['1:2', 'a1'], ['1:3', 'b2']]);
  const w = imageWaste('img', layers, hashes);
  t.equal(w.wastedBytes, 1000 + 1000 + 3 + 10, "dive's wastedBytes counts every copy");
  t.equal(w.reclaimableBytes, 2000 + 10, 'N-1: all but the visible copy');
  t.equal(w.metadataOnlyBytes, 1000, 'the chmod duplicated 1000 bytes');
  t.equal(w.efficiency, 7 / (2003 + 10 + 7));
  t.same(w.paths.map((p) => [p.path, p.deleted, p.metadataOnly]), [['d/big', false, true], ['d/sub-x', true, false]]);
  t.equal(imageWaste('none', [], hashes).efficiency, 1);
});

t.test('an opaque dir and a file replacing a dir delete what was below', async (t) => {
  const c = pathCopies([[put(dir('a')), put(file('a/x', 5)), put(dir('b')), put(file('b/y', 6))], [put(dir('a'), true), put(file('b', 1))]]);
  t.same(c.get('a/x')!.map((x) => x.size), [5, 0]);
  t.same(c.get('b/y')!.map((x) => x.size), [6, 0]);
});

t.test("an image that is another's bottom layers gets the same waste from the longer chain's copies", async (t) => {
  const hashes = hashesOf([['1:1', 'a1'], ['1:2', 'a1'], ['1:3', 'b2']]);
  const all = pathCopies(layers);
  for (let n = 1; n <= layers.length; n++) t.same(wasteOfCopies('img', all, hashes, n), imageWaste('img', layers.slice(0, n), hashes), `${n} layers`);
});

t.test('a hard-linked name deleted or replaced while another name keeps the inode frees nothing (a review: 7 bytes reclaimable)', async (t) => {
  const hashes = hashesOf([]);
  const base = [put(file('hl1', 7, { inode: '9:1' })), put(file('hl2', 7, { inode: '9:1' })), put(file('solo', 5, { inode: '9:2' }))];
  const deleted = imageWaste('img', [base, [wh('hl2'), wh('solo')]], hashes);
  t.equal(deleted.reclaimableBytes, 5, 'only solo, whose inode no other name holds');
  t.equal(deleted.wastedBytes, 5);
  t.same(deleted.paths.map((p) => p.path), ['solo']);
  const replaced = imageWaste('img', [base, [put(file('hl2', 3, { inode: '9:3' }))]], hashes);
  t.equal(replaced.reclaimableBytes, 0, 'hl1 still shows the first copy of hl2');
  t.same(replaced.paths, []);
  const both = imageWaste('img', [base, [wh('hl1'), wh('hl2')]], hashes);
  t.equal(both.reclaimableBytes, 14, 'both names gone: the inode is waste (once per name, as before)');
});
