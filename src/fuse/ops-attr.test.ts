import t from 'tap';
import { timeSpec } from './ops-attr.js';

t.test('utimens times become exact timespecs; markers pass through', async (t) => {
  t.same(timeSpec(1104635045123456789n), { sec: 1104635045n, nsec: 123456789 });
  t.equal(timeSpec('now'), 'now');
  t.equal(timeSpec('omit'), 'omit');
});
