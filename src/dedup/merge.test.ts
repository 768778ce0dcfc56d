import t from 'tap';
import { dir, file } from '../../test/helpers/entries.js';
import { MergedTree } from './merge.js';
import type { DiffItem, Entry } from './types.js';

const put = (e: Entry, opaque = false): DiffItem => ({ path: e.path, whiteout: false, entry: e, opaque, reason: 'added' });
const wh = (path: string): DiffItem => ({ path, whiteout: true, entry: null, opaque: false, reason: 'deleted' });
const paths = (t: MergedTree) => [...t.entries.keys()].sort();

const lower = new MergedTree();
lower.apply([put(dir('a')), put(file('a/x', 1)), put(dir('a/d')), put(file('a/d/y', 1)), put(file('b', 1))]);

t.test('directories merge, whiteouts remove subtrees', async (t) => {
  const m = new MergedTree(lower);
  m.apply([put(dir('a')), put(file('a/z', 1)), wh('a/d')]);
  t.same(paths(m), ['a', 'a/x', 'a/z', 'b']);
  t.same(paths(lower), ['a', 'a/d', 'a/d/y', 'a/x', 'b'], 'the lower tree is not changed');
  t.same(m.namesIn('a').sort(), ['x', 'z']);
});

t.test('an opaque dir hides what was below it', async (t) => {
  const m = new MergedTree(lower);
  m.apply([put(dir('a'), true), put(file('a/new', 1))]);
  t.same(paths(m), ['a', 'a/new', 'b']);
  t.same(m.pathsBelow('a'), ['a/new']);
});

t.test('a non-dir replaces a dir and a dir replaces a non-dir', async (t) => {
  const m = new MergedTree(lower);
  m.apply([put(file('a', 3)), put(dir('b')), put(file('b/in', 1))]);
  t.same(paths(m), ['a', 'b', 'b/in']);
  t.equal(m.entries.get('a')!.type, 'file');
});

t.test('a tree grows past its first 1024 paths, and a copy made before keeps its own', async (t) => {
  const m = new MergedTree();
  m.apply([put(dir('big')), ...Array.from({ length: 1500 }, (_, i) => put(file(`big/f${String(i).padStart(4, '0')}`, 1)))]);
  const before = new MergedTree(m);
  m.apply([put(dir('big')), ...Array.from({ length: 1500 }, (_, i) => put(file(`big/g${i}`, 1))), wh('big/f0007')]);
  t.equal(m.entries.size, 1 + 1500 + 1500 - 1);
  t.equal(m.namesIn('big').length, 2999);
  t.equal(m.pathsBelow('big')[0], 'big/f0000');
  t.notOk(m.entries.has('big/f0007'));
  t.equal(before.entries.size, 1501, 'the copy is not changed');
  before.apply([wh('big')]);
  t.same(paths(before), []);
  t.equal(m.entries.size, 3000, 'nor is the tree it was copied from');
});

t.test('a diff longer than one chunk of the per-layer loops applies as the same diff given in short lists', async (t) => {
  // 3 000 items (loops run 1 024 at a time): files, a whiteout and an opaque dir on each side of both chunk boundaries.
  const bottom: DiffItem[] = [];
  const top: DiffItem[] = [];
  for (let d = 0; d < 30; d++) {
    const name = `d${String(d).padStart(2, '0')}`;
    bottom.push(put(dir(name)));
    for (let f = 0; f < 99; f++) bottom.push(put(file(`${name}/f${String(f).padStart(2, '0')}`, f + 1)));
    top.push(d % 3 === 0 ? wh(name) : put(dir(name), d % 3 === 1));
    if (d % 3 !== 0) for (let f = 0; f < 99; f += 2) top.push(put(file(`${name}/f${String(f).padStart(2, '0')}`, 2 * f + 1)));
  }
  const whole = new MergedTree();
  whole.apply(bottom);
  whole.apply(top);
  const pieces = new MergedTree();
  for (const list of [bottom, top]) for (let i = 0; i < list.length; i += 500) pieces.apply(list.slice(i, i + 500));
  t.equal(bottom.length, 3000);
  t.same(whole.entries, pieces.entries);
  t.equal(whole.entries.size, 10 * (1 + 50) + 10 * (1 + 99), 'whiteouts remove, opaque dirs keep only their new files, the others merge');
});
