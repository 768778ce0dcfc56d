import t from 'tap';
import { file, hashesOf } from '../../test/helpers/entries.js';
import { MAX_GROUP_PATHS, findDuplicates } from './duplicates.js';

t.test('groups distinct inodes by size and hash, largest redundancy first', async (t) => {
  const a = file('a', 100, { inode: '1:1' });
  const files = [
    { entry: a, base: 'l1' },
    { entry: { ...a, path: 'a-link' }, base: 'l1' }, // a hard link: same inode, not a duplicate
    { entry: file('b', 100, { inode: '1:2' }), base: 'l2' },
    { entry: file('c', 100, { inode: '1:3' }), base: 'l2' }, // same size, other content
    { entry: file('d', 5000, { inode: '1:4' }), base: 'l3' },
    { entry: file('e', 5000, { inode: '1:5' }), base: 'l3' },
    { entry: file('f', 7, { inode: '1:6' }), base: 'l3' }, // unique size: never hashed
  ];
  const hashes = hashesOf([['1:1', 'aa'], ['1:2', 'aa'], ['1:3', 'cc'], ['1:4', 'dd'], ['1:5', 'dd']]);
  const d = findDuplicates(files, hashes);
  t.same(d.groups.map((g) => [g.hash, g.inodes, g.redundantBytes]), [['dd', 2, 5000], ['aa', 2, 100]]);
  t.same(d.groups[1]!.paths, ['l1/a', 'l2/b'], 'one path per inode');
  t.same([d.redundantInodes, d.redundantBytes, d.hashedInodes, d.hashedBytes], [2, 5100, 5, 10300]);
});

t.test('paths per group are capped, counts are not', async (t) => {
  const files = Array.from({ length: 30 }, (_, i) => ({ entry: file(`f${i}`, 9, { inode: `1:${i}` }), base: 'x' }));
  const d = findDuplicates(files, new Map(files.map((f) => [f.entry.id, 'same'])));
  t.equal(d.groups[0]!.paths.length, MAX_GROUP_PATHS);
  t.equal(d.groups[0]!.inodes, 30);
  t.equal(d.redundantBytes, 29 * 9);
});
