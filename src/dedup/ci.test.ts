import t from 'tap';
import { UsageError } from '../errors.js';
import { evaluate, parseThresholds } from './ci.js';
import type { Report } from './report.js';

const report = {
  waste: { wastedBytes: 2_000_000, efficiency: 0.95 },
  duplicates: { redundantBytes: 500 },
} as unknown as Report;

t.test('thresholds parse sizes and ratios, and name the bad option', async (t) => {
  t.same(parseThresholds({ maxWastedBytes: '1MB', minEfficiency: '0.9', maxDuplicateBytes: '1000' }),
    { maxWastedBytes: 1_000_000, minEfficiency: 0.9, maxDuplicateBytes: 1000 });
  t.same(parseThresholds({}), {});
  t.throws(() => parseThresholds({ maxWastedBytes: 'lots' }), new UsageError("--max-wasted-bytes: expected a size such as 1000000, 20MB or 1GiB, got 'lots'"));
  t.throws(() => parseThresholds({ maxDuplicateBytes: '-3' }), UsageError);
  for (const bad of ['1.5', '-0.1', 'x', '', '.', '0x1', '1e0', ' .5']) t.throws(() => parseThresholds({ minEfficiency: bad }), UsageError, bad);
  for (const [good, v] of [['0', 0], ['1', 1], ['.5', 0.5], ['0.95', 0.95], ['1.000', 1]] as const) t.equal(parseThresholds({ minEfficiency: good }).minEfficiency, v, good);
  // A size no byte count holds (a review found 400 zeros accepted as Infinity).
  t.throws(() => parseThresholds({ maxWastedBytes: '1' + '0'.repeat(400) }), UsageError);
  t.throws(() => parseThresholds({ maxDuplicateBytes: '9007199254740993' }), UsageError);
});

t.test('each threshold is one rule', async (t) => {
  const r = evaluate(report, { maxWastedBytes: 1_000_000, minEfficiency: 0.9, maxDuplicateBytes: 500 });
  t.same(r.map((x) => [x.rule, x.pass]), [['max-wasted-bytes', false], ['min-efficiency', true], ['max-duplicate-bytes', true]]);
  t.same(r[0], { rule: 'max-wasted-bytes', limit: '1.0 MB', actual: '2.0 MB', pass: false }, "analyze's units, not docker's 1MB");
  t.same(evaluate(report, {}), []);
});
