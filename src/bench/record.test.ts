import t from 'tap';
import { repeatFor } from './record.js';

/** A clock that advances `stepMs` per pass, as if each pass took that long. */
function fakeClock(stepMs: number): { now: () => number; pass: () => number } {
  let ms = 0;
  return { now: () => ms, pass: () => ((ms += stepMs), 100) };
}

t.test('repeatFor repeats whole passes until the time is reached and sums their sizes', async (t) => {
  const c = fakeClock(80);
  // 80 ms passes, 1 s wanted: 13 passes (1,040 ms), the first that reaches 1,000 included.
  t.same(repeatFor(c.pass, 1000, c.now), { total: 1300, passes: 13 });
});

t.test('repeatFor runs at least one pass, even when no time is wanted or one pass is longer', async (t) => {
  const quick = fakeClock(80);
  t.same(repeatFor(quick.pass, 0, quick.now), { total: 100, passes: 1 });
  const slow = fakeClock(2000);
  t.same(repeatFor(slow.pass, 1000, slow.now), { total: 100, passes: 1 });
});
