import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readDivergenceFile, readJsonFile, readReferenceTraces } from './json-file.js';

const dir = mkdtempSync(join(tmpdir(), 'ovl-json-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a JSON file is parsed; a missing or broken one is a usage error naming file and purpose', async (t) => {
  const good = join(dir, 'good.json');
  writeFileSync(good, '{"cases": []}');
  t.same(readJsonFile(good, 'the corpus'), { cases: [] });
  const missing = join(dir, 'missing.json');
  const err = t.throws(() => readJsonFile(missing, 'the corpus'));
  t.ok(err instanceof UsageError);
  t.match(err, { message: `${missing}: cannot read the corpus: ENOENT` });
  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{"cases": [');
  t.throws(() => readJsonFile(broken, 'the corpus'), { message: new RegExp(`^${broken}: cannot read the corpus: .*JSON`) });
});

t.test('a divergence file must have a scenario ovl-check can run and one of its suites', async (t) => {
  const f = join(dir, 'div.json');
  const suites = ['basic', 'copy-up'];
  const scenario = { lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'x', mode: 0o644 }] }], upper: { entries: [] }, ops: [{ op: 'stat', path: 'a' }] };
  writeFileSync(f, JSON.stringify({ suite: 'basic', seed: 1, run: 2, scenario }));
  t.match(readDivergenceFile(f, 'the divergence to keep', suites), { suite: 'basic', run: 2 });
  writeFileSync(f, JSON.stringify({ suite: 'basic' }));
  t.throws(() => readDivergenceFile(f, 'the divergence to keep', suites), { message: `${f}: not an ovl-check divergence file (no scenario)` });
  // A review: `{}` was an internal error, an unknown op was skipped (a pass), an unknown suite ran.
  for (const [bad, msg] of [
    [{ suite: 'basic', scenario: {} }, 'scenario.lowers: not a list of at least one layer'],
    [{ suite: 'basic', scenario: { ...scenario, lowers: [] } }, 'scenario.lowers: not a list of at least one layer'],
    [{ suite: 'basic', scenario: { ...scenario, upper: [] } }, 'scenario.upper: not a layer ({"entries": [...]})'],
    [{ suite: 'basic', scenario: { ...scenario, lowers: [{ entries: [{ path: 'a', kind: 'socket' }] }] } }, 'scenario.lowers[0].entries[0]: not a layer entry'],
    [{ suite: 'basic', scenario: { ...scenario, ops: [{ op: 'frobnicate' }] } }, 'scenario.ops[0]: unknown op "frobnicate"'],
    [{ suite: 'basic', scenario: { ...scenario, ops: [5] } }, 'scenario.ops[0]: not an op'],
    [{ suite: 'basic', scenario: { ...scenario, options: 'ro' } }, 'scenario.options: not an object of mount options'],
    [{ suite: 'nosuch', scenario }, 'suite "nosuch" is none of ovl-check\'s (basic, copy-up)'],
  ] as const) {
    writeFileSync(f, JSON.stringify(bad));
    const err = t.throws(() => readDivergenceFile(f, 'the divergence to replay', suites)) as Error;
    t.ok(err instanceof UsageError && err.message.startsWith(`${f}: ${msg}`), err.message);
  }
});

t.test('reference traces must have the shape a --target kernel run records, for every suite asked for', async (t) => {
  const f = join(dir, 'traces.json');
  const run = { index: 1, scenario: { lowers: [{ entries: [] }], upper: { entries: [] }, ops: [] }, trace: { target: 'kernel', skipped: {}, ops: [], merged: [], upper: [], lowers: [[]] } };
  writeFileSync(f, JSON.stringify({ tool: 'ovl-check', seed: 1, target: 'kernel', suites: { basic: [run] } }));
  t.same(readReferenceTraces(f, ['basic']), { basic: [run] });
  const failed = { ...run, scenario: { ...run.scenario, ops: [{ op: 'stat', path: 'a' }] }, trace: { target: 'kernel', skipped: {}, ops: [], failure: { phase: 'mount', reason: 'x' } } };
  writeFileSync(f, JSON.stringify({ suites: { basic: [failed] } }));
  t.same(readReferenceTraces(f, ['basic']), { basic: [failed] }, 'a run that failed records no trees');
  // A read-only review: without `suites` the run went live against no reference and passed.
  for (const [text, msg] of [
    ['{"a":1}', `${f}: not the traces.json of a --target kernel run (no "suites" object)`],
    ['[]', `${f}: not the traces.json of a --target kernel run (no "suites" object)`],
    ['{"suites":{"basic":"x"}}', `${f}: suite basic: expected a list of recorded scenarios, found string`],
    ['{"suites":{"basic":[]}}', `${f}: has no traces for suite basic`],
    ['{"suites":{"basic":[{"index":1}]}}', `${f}: suite basic, scenario 0: expected {index, scenario, trace} as a --target kernel run records them`],
    [JSON.stringify({ suites: { basic: [{ ...run, trace: { ops: 'x' } }] } }), `${f}: suite basic, scenario 0: expected {index, scenario, trace} as a --target kernel run records them`],
    [JSON.stringify({ suites: { basic: [{ ...run, scenario: { ops: [] } }] } }), `${f}: suite basic, scenario 0: expected {index, scenario, trace} as a --target kernel run records them`],
    // diffTraces skips what the reference lacks: a trace without its trees would pass anything.
    [JSON.stringify({ suites: { basic: [{ ...run, trace: { ...run.trace, merged: undefined } }] } }), `${f}: suite basic, scenario 0: expected {index, scenario, trace} as a --target kernel run records them`],
    [JSON.stringify({ suites: { basic: [{ ...run, scenario: { ...run.scenario, ops: [{ op: 'stat', path: 'a' }] } }] } }), `${f}: suite basic, scenario 0: expected {index, scenario, trace} as a --target kernel run records them`],
  ] as const) {
    writeFileSync(f, text);
    const err = t.throws(() => readReferenceTraces(f, ['basic']), { message: msg }, text);
    t.ok(err instanceof UsageError, text);
  }
  writeFileSync(f, JSON.stringify({ suites: { basic: [run] } }));
  t.throws(() => readReferenceTraces(f, ['basic', 'whiteouts']), { message: `${f}: has no traces for suite whiteouts (has: basic)` });
});
