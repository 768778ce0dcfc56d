import t from 'tap';
import { dir, file } from '../../test/helpers/entries.js';
import { InodeTally, addCounts, savedBetween, tallyParts, unionOf } from './counts.js';

t.test('inodes, bytes and blocks count once per inode across trees; entries count every name', async (t) => {
  const shared = file('bin/sh', 10000, { nlink: 3 });
  const tally = new InodeTally();
  tally.addTree(dir(''), [dir('bin'), shared]);
  tally.addTree(dir(''), [dir('bin'), { ...shared }, { ...shared, path: 'bin/sh2' }]);
  t.same(tally.result(), { entries: 5, inodes: 5, regularBytes: 10000, diskBytes: 4 * 4096 + 12288, maxLinks: 3 });
});

t.test('directory link counts are not hard links', async (t) => {
  const tally = new InodeTally();
  tally.addTree(dir(''), [dir('a', { nlink: 40 })]);
  t.equal(tally.result().maxLinks, 0);
});

t.test('savings and sums', async (t) => {
  const a = { entries: 10, inodes: 100, regularBytes: 5, diskBytes: 4000, maxLinks: 7 };
  const b = { entries: 2, inodes: 25, regularBytes: 5, diskBytes: 1000, maxLinks: 2 };
  t.same(savedBetween(a, b), { inodes: 75, bytes: 3000, percent: 75, inodesPercent: 75 });
  t.same(savedBetween({ ...a, inodes: 0, diskBytes: 0 }, { ...b, inodes: 0, diskBytes: 0 }), { inodes: 0, bytes: 0, percent: 0, inodesPercent: 0 });
  t.same(addCounts(a, b), { entries: 12, inodes: 125, regularBytes: 10, diskBytes: 5000, maxLinks: 7 });
});

t.test('unions of tally parts equal one tally over the same trees, for every subset', async (t) => {
  const sh = file('bin/sh', 10000, { nlink: 4 });
  const own = file('etc/own', 300, { nlink: 2 });
  const trees = [
    { top: dir(''), entries: [dir('bin'), sh, dir('etc'), own, { ...own, path: 'etc/own2' }] },
    { top: dir(''), entries: [dir('bin'), { ...sh }, file('x', 5)] },
    { top: dir(''), entries: [{ ...sh, path: 'sh' }, { ...sh, path: 'sh2' }, file('y', 9000)] },
  ];
  const parts = tallyParts(trees);
  for (let mask = 1; mask < 8; mask++) {
    const chosen = trees.filter((_, i) => mask & (1 << i));
    const tally = new InodeTally();
    for (const tr of chosen) tally.addTree(tr.top, tr.entries);
    t.same(unionOf(parts.filter((_, i) => mask & (1 << i))), tally.measured(), `trees ${mask.toString(2)}`);
  }
  t.same(parts.map((p) => p.shared.length), [1, 1, 2], 'only the inode several trees hold is recounted');
});

t.test('tally parts of trees longer than one call of the passes (1 024) equal one tally, at every chunk edge', async (t) => {
  // Every size different, so an entry tallied twice or skipped at a chunk's edge changes the bytes.
  const files = Array.from({ length: 2500 }, (_, i) => file(`d/f${i}`, i + 1));
  // The second tree shares the inodes on either side of both edges of the first tree (its entry k
  // is file k - 1: entries 1 023/1 024 and 2 047/2 048) and the first and last file, each under a
  // name of its own, and holds 300 inodes of its own.
  const sharedAt = [0, 1021, 1022, 1023, 2045, 2046, 2047, 2499];
  const trees = [
    { top: dir(''), entries: [dir('d'), ...files] },
    { top: dir(''), entries: [...sharedAt.map((i) => ({ ...files[i]!, path: `e/s${i}` })), ...Array.from({ length: 300 }, (_, i) => file(`e/n${i}`, 5000 + i))] },
  ];
  const parts = tallyParts(trees);
  for (let mask = 1; mask < 4; mask++) {
    const tally = new InodeTally();
    for (const tr of trees.filter((_, i) => mask & (1 << i))) tally.addTree(tr.top, tr.entries);
    t.same(unionOf(parts.filter((_, i) => mask & (1 << i))), tally.measured(), `trees ${mask.toString(2)}`);
  }
  t.same(parts.map((p) => p.shared.map((e) => e.path)), [sharedAt.map((i) => `d/f${i}`), sharedAt.map((i) => `e/s${i}`)], 'exactly the shared inodes are set aside');
});
