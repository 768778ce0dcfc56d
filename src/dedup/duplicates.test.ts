import { deepStrictEqual } from 'node:assert';
import fc from 'fast-check';
import t from 'tap';
import { file, hashesOf } from '../../test/helpers/entries.js';
import { ContentHashes } from './content-hashes.js';
import { type Located, MAX_GROUP_PATHS, findDuplicates } from './duplicates.js';

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
  const hashes = hashesOf([['1:1', 'aa'], ['1:2', 'aa'], ['1:3', 'cc'], ['1:4', 'f00000000000000d'], ['1:5', 'f00000000000000d']]);
  const d = findDuplicates(files, hashes);
  t.same(d.groups.map((g) => [g.hash, g.inodes, g.redundantBytes]), [['f00000000000000d', 2, 5000], ['00000000000000aa', 2, 100]], 'hashes printed as 16 hex digits');
  t.same(d.groups[1]!.paths, ['l1/a', 'l2/b'], 'one path per inode');
  t.same([d.redundantInodes, d.redundantBytes, d.hashedInodes, d.hashedBytes], [2, 5100, 5, 10300]);
});

t.test('paths per group are capped, counts are not', async (t) => {
  const files = Array.from({ length: 30 }, (_, i) => ({ entry: file(`f${i}`, 9, { inode: `1:${i}` }), base: 'x' }));
  const d = findDuplicates(files, ContentHashes.fromHex(files.map((f) => [f.entry.id, '5a3e'])));
  t.equal(d.groups[0]!.paths.length, MAX_GROUP_PATHS);
  t.equal(d.groups[0]!.inodes, 30);
  t.equal(d.redundantBytes, 29 * 9);
});

/** The groups a Map keyed by `size:hash` makes (in the order of each group's first file), sorted as findDuplicates sorts them. */
function byMap(files: Located[], hashes: Map<number, string>): Array<[string, number, string[]]> {
  const groups = new Map<string, { hash: string; size: number; paths: string[] }>();
  for (const { entry, base } of files) {
    const hash = hashes.get(entry.id)!;
    const key = `${entry.size}:${hash}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { hash, size: entry.size, paths: [] }));
    g.paths.push(`${base}/${entry.path}`);
  }
  const waste = (g: { size: number; paths: string[] }) => (g.paths.length - 1) * g.size;
  return [...groups.values()]
    .filter((g) => g.paths.length > 1)
    .sort((a, b) => waste(b) - waste(a) || a.hash.localeCompare(b.hash))
    .map((g) => [g.hash, g.size, g.paths.slice(0, MAX_GROUP_PATHS)]);
}

t.test('the groups and their order are those of a Map keyed by size and hash, with slots shared and a hash at two sizes', async (t) => {
  // Hashes alike in their first 8 characters share a slot (long probe runs); one hash at sizes 2
  // and 4 gives groups of equal waste and equal hash, which only their first file orders.
  const hash = fc.constantFrom('deadbeef00000000', 'deadbeef00000001', 'deadbeef00000002', '0123456789abcdef');
  const rows = fc.array(fc.record({ hash, size: fc.constantFrom(1, 2, 4) }), { maxLength: 80 });
  fc.assert(
    fc.property(rows, (rs) => {
      const files = rs.map((r, i) => ({ entry: file(`f${i}`, r.size), base: `l${i % 3}` }));
      const hashes = new Map(files.map((f, i) => [f.entry.id, rs[i]!.hash]));
      const got = findDuplicates(files, ContentHashes.fromHex(hashes)).groups.map((g): [string, number, string[]] => [g.hash, g.size, g.paths]);
      deepStrictEqual(got, byMap(files, hashes));
    }),
    { seed: 20261203, numRuns: 300 },
  );
  t.pass('300 inputs');
});

t.test('files past one call of the passes (1 024): hard links and groups across both chunk edges', async (t) => {
  // 2 500 files, each its own inode with a hash of its own, but for pairs of copies that straddle
  // the edges (1 023/1 024, 2 047/2 048) and a hard link of file 1 023 at 1 024's place: counted once.
  const files: Located[] = Array.from({ length: 2500 }, (_, i) => ({ entry: file(`f${i}`, 10 + i), base: 'l' }));
  files[1024] = { entry: { ...files[1023]!.entry, path: 'f1023-link' }, base: 'l' };
  const hex = (i: number): string => i.toString(16).padStart(16, '0');
  const hashes = new Map(files.map((f, i) => [f.entry.id, hex(i)]));
  for (const [a, b] of [[1022, 1025], [2047, 2048], [0, 2499]] as const) {
    files[b] = { entry: file(`copy-of-f${a}`, 10 + a), base: 'l' };
    hashes.set(files[b]!.entry.id, hex(a));
  }
  const d = findDuplicates(files, ContentHashes.fromHex(hashes));
  t.same(d.groups.map((g) => g.paths), [['l/f2047', 'l/copy-of-f2047'], ['l/f1022', 'l/copy-of-f1022'], ['l/f0', 'l/copy-of-f0']]);
  t.same([d.hashedInodes, d.redundantInodes], [2499, 3], 'the hard link is not an inode of its own');
});
