import t from 'tap';
import type { Difference } from './diff.js';
import { freshScenario, judgeFreshness } from './freshness.js';
import type { Scenario } from './scenario.js';
import type { Trace } from './trace.js';

const scenario: Scenario = {
  lowers: [[]],
  upper: [],
  ops: [
    { op: 'read', path: 'a' },
    { op: 'mutate', layer: 0, action: 'write', path: 'a', data: 'new' },
    { op: 'read', path: 'a' },
  ],
} as unknown as Scenario;

t.test('the fresh variant remounts after every layer change and maps the ops', async (t) => {
  const f = freshScenario(scenario);
  t.same(f.scenario.ops.map((o) => o.op), ['read', 'mutate', 'remount', 'read']);
  t.same(f.opIndex, [0, 1, 3]);
});

t.test('fresher, staler or unlike, by what a fresh mount shows', async (t) => {
  const { opIndex } = freshScenario(scenario);
  const fresh = (text: string): Trace => ({
    target: 'kernel',
    skipped: {},
    ops: [0, 1, 2, 3].map((i) => ({ op: String(i), result: i === 3 ? { ok: true, value: { content: { size: text.length, sha: text, text } } } : { ok: true } })),
  });
  const d: Difference = { where: 'op', opIndex: 2, field: 'content', reference: { size: 3, sha: 'old', text: 'old' }, target: { size: 3, sha: 'new', text: 'new' } };
  t.equal(judgeFreshness(d, fresh('new'), opIndex), 'fresher');
  t.equal(judgeFreshness(d, fresh('old'), opIndex), 'staler');
  t.equal(judgeFreshness(d, fresh('odd'), opIndex), 'unlike');
  const tree: Difference = { where: 'merged', path: 'a', field: 'exists', reference: true, target: false };
  t.equal(judgeFreshness(tree, { ...fresh('x'), merged: [{ path: '.' }] }, opIndex), 'fresher', 'gone on a fresh mount too');
});
