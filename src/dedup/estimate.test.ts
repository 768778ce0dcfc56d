import t from 'tap';
import { dir, entry, file } from '../../test/helpers/entries.js';
import { childNames, diffCounts, dirBlocks, dirRecordBytes, dirSources } from './estimate.js';
import type { DiffItem, Entry } from './types.js';

const names = (n: number, len = 20) => Array.from({ length: n }, (_, i) => String(i).padStart(len, 'n'));

t.test('ext4 directory sizes as calibrated on this filesystem', async (t) => {
  t.equal(dirRecordBytes([]), 24);
  t.equal(dirRecordBytes(['a', 'abcde']), 24 + 12 + 16);
  // 145 names of 20 bytes fit one block (4084 B of records); 146 make an htree of 3 blocks.
  t.equal(dirBlocks(names(145)), 8);
  t.equal(dirBlocks(names(146)), 24);
  t.equal(dirBlocks(names(300)), 32);
  t.equal(dirBlocks(names(600)), 56);
  const src = { entry: dir('d', { blocks: 40 }), childCount: 300 };
  t.equal(dirBlocks(names(300), src), 40, 'a directory written in full costs what the source costs');
  t.equal(dirBlocks(names(2), src), 8);
});

t.test('diff counts: top dir, hard links kept within the layer, whiteouts cost an inode', async (t) => {
  const a = file('d/a', 5000);
  const items: DiffItem[] = [
    { path: 'd', whiteout: false, entry: dir('d'), opaque: true, reason: 'parent' },
    { path: 'd/a', whiteout: false, entry: a, opaque: false, reason: 'added' },
    { path: 'd/a2', whiteout: false, entry: { ...a, path: 'd/a2' }, opaque: false, reason: 'added' },
    { path: 'd/l', whiteout: false, entry: entry('d/l', { type: 'symlink', blocks: 8 }), opaque: false, reason: 'added' },
    { path: 'gone', whiteout: true, entry: null, opaque: false, reason: 'deleted' },
  ];
  const c = diffCounts(items, new Map());
  t.same(c, { entries: 5, inodes: 5, regularBytes: 5000, diskBytes: 4096 * 2 + 8192 + 4096, maxLinks: 2 });
});

t.test('dirSources and childNames index a tree by directory', async (t) => {
  const top = dir('');
  const es: Entry[] = [dir('a'), file('a/x', 1), file('a/y', 1), file('z', 1)];
  const s = dirSources(top, es);
  t.equal(s.get('')!.childCount, 2);
  t.equal(s.get('a')!.childCount, 2);
  t.same(Object.fromEntries(childNames(es.map((e) => e.path))), { '': ['a', 'z'], a: ['x', 'y'] });
});

t.test('dirSources counts children right across its calls of 1 024 entries', async (t) => {
  // A run of siblings across both chunk edges, and a directory whose children start at an edge.
  const entries = [dir('a'), ...Array.from({ length: 2100 }, (_, i) => file(`a/f${String(i).padStart(4, '0')}`, 1)), dir('b'), file('b/x', 1), dir('c'), ...Array.from({ length: 500 }, (_, i) => file(`c/g${i}`, 1)), file('z', 1)];
  const got = dirSources(dir(''), entries);
  const want = new Map<string, number>([['', 0]]);
  for (const e of entries) if (e.type === 'dir') want.set(e.path, 0);
  for (const e of entries) {
    const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '';
    want.set(parent, want.get(parent)! + 1);
  }
  t.strictSame(new Map([...got].map(([p, s]) => [p, s.childCount])), want);
});
