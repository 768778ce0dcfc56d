import t from 'tap';
import { IdSet, IdTable } from './id-table.js';

t.test('an id table reads 0 until set, across pages and gaps', async (t) => {
  const tab = new IdTable();
  t.equal(tab.get(5), 0);
  tab.set(5, 7);
  // Far ids leave pages between them unallocated; ids in those pages still read 0.
  tab.set(3 * 4096 + 1, -2);
  t.equal(tab.get(5), 7);
  t.equal(tab.get(3 * 4096 + 1), -2);
  t.equal(tab.get(4096 + 9), 0);
  t.equal(tab.get(50 * 4096), 0);
  t.equal(tab.inc(5), 8);
  t.equal(tab.inc(2 * 4096, 3), 3);
  t.equal(tab.get(2 * 4096), 3);
});

t.test('an id set adds each id once and counts them', async (t) => {
  const s = new IdSet();
  t.equal(s.add(0), true);
  t.equal(s.add(9000), true);
  t.equal(s.add(0), false);
  t.ok(s.has(9000));
  t.notOk(s.has(1));
  t.equal(s.size, 2);
});
