import t from 'tap';
import { readSummary } from './check-suite.js';

const summary = (suites: object[], totals: object) => JSON.stringify({ tool: 'ovl-check', totals, suites });

t.test('a full run without divergences is comparable', async (t) => {
  const r = readSummary(summary([{ suite: 'basic', scenarios: 4 }, { suite: 'rename', scenarios: 4 }], { scenarios: 8, diverged: 0 }), 4);
  t.same(r, { scenarios: 8, diverged: 0, problem: null });
});

t.test('divergences within the full budget still count, and are reported', async (t) => {
  const d = readSummary(summary([{ suite: 'basic', scenarios: 1, diverged: 1 }], { scenarios: 1, diverged: 1 }), 1);
  t.same(d, { scenarios: 1, diverged: 1, problem: null });
});

t.test('suite errors and suites stopped early make the speed not comparable', async (t) => {
  t.match(readSummary(summary([{ suite: 'basic', scenarios: 0, error: 'boom' }], { scenarios: 0 }), 1).problem, 'suite basic: boom');
  const d = readSummary(summary([{ suite: 'basic', scenarios: 1, diverged: 1 }], { scenarios: 1, diverged: 1 }), 4);
  t.equal(d.problem, 'suite basic stopped after 1 of 4 scenarios at a divergence: not comparable');
  t.match(readSummary(summary([{ suite: 'basic', scenarios: 2 }], { scenarios: 2, diverged: 0 }), 4).problem, 'stopped after 2 of 4');
  t.match(readSummary(summary([], {}), 1).problem, 'no suites');
});
