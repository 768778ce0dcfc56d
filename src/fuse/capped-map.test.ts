import t from 'tap';
import { CappedMap } from './capped-map.js';

t.test('forgets the oldest entries beyond its cap; a value set again keeps its age', async (t) => {
  const m = new CappedMap<string, number>(3);
  for (const k of ['a', 'b', 'c']) m.set(k, 1);
  m.set('a', 2);
  m.set('d', 1);
  t.same([...m.keys()], ['b', 'c', 'd'], 'a went first, though set again');
  for (let i = 0; i < 100; i++) m.set(`k${i}`, i);
  t.equal(m.size, 3);
  t.same([...m.entries()], [['k97', 97], ['k98', 98], ['k99', 99]]);
});
