// The negative entries held for the layer watcher to expire: what is answered, taken, let go.
import t from 'tap';
import { NegativeNames } from './negative-names.js';

t.test('a negative answer is held for its timeout, taken once, gone with its parent', async (t) => {
  let now = 1000;
  const n = new NegativeNames(() => now);
  t.equal(n.answer(1, 'a', 60_000), 60_000);
  t.equal(n.answer(1, 'b', 60_000), 60_000);
  t.equal(n.answer(1, 'a', 60_000), 60_000, 'the same name again');
  t.equal(n.answer(2, 'c', 60_000), 60_000);
  t.equal(n.answer(3, 'x', 0), 0, 'no timeout: nothing held');
  t.equal(n.size, 3);
  t.same(n.parents().sort(), [1, 2]);
  t.same(n.take(1).sort(), ['a', 'b']);
  t.same(n.take(1), [], 'taken once');
  n.dropped(2);
  t.equal(n.size, 0);
  n.answer(4, 'old', 10);
  now += 11;
  t.same(n.take(4), [], 'a timeout run out is not handed back');
});

t.test('past its bound, negative answers carry no timeout until older ones run out', async (t) => {
  let now = 0;
  const n = new NegativeNames(() => now);
  for (let i = 0; i < 200_000; i++) n.answer(i >> 8, `n${i}`, 1000);
  t.equal(n.answer(99_999, 'more', 1000), 0, 'full: the kernel asks again every time');
  now = 1001;
  t.equal(n.answer(99_999, 'more', 1000), 1000, 'the old ones ran out: held again');
  t.equal(n.size, 1);
  for (let i = 0; i < 199_999; i++) n.answer(i >> 8, `m${i}`, 200);
  now = 1500;
  t.equal(n.answer(99_999, 'later', 1000), 0, 'full again within a second of the last look: not looked for yet');
  now = 2500;
  t.equal(n.answer(99_999, 'later', 1000), 1000, 'a second after it: looked for, and they ran out');
});
