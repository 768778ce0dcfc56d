// --target kernel records traces; --reference compares another target against them without a
// live kernel run (and without shrinking, which needs one).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { KERNEL_EXEC, sandbox, SWAPPED_LOWERS } from './helpers.js';

t.test('record on the kernel, then compare targets against the recording', async (t) => {
  const s = sandbox(t);
  const rec = await s.run(['run', '--target', 'kernel', '--suite', 'basic,whiteouts', '--runs', '15', '--seed', '77']);
  t.equal(rec.exitCode, 0, String(rec.stderr));
  const recorded = s.summary();
  t.equal(recorded.totals.recorded, recorded.totals.scenarios);
  const traces = join(s.reportDir(), 'traces.json');
  t.ok(existsSync(traces));

  const same = await s.run(['run', '--target', KERNEL_EXEC, '--reference', traces, '--suite', 'basic,whiteouts']);
  t.equal(same.exitCode, 0, String(same.stderr));
  t.match(s.summary(), { totals: { scenarios: recorded.totals.scenarios, diverged: 0, pass: recorded.totals.scenarios } });

  const broken = await s.run(['run', '--target', SWAPPED_LOWERS, '--reference', traces, '--suite', 'basic']);
  t.equal(broken.exitCode, 1);
  const sum = s.summary();
  t.ok(sum.totals.diverged >= 1);
  t.equal(sum.unexpected[0]!.shrinks, 0, 'no shrinking against a recording');
  t.equal(sum.unexpected[0]!.shrunk, false, 'and the reports say so');
  t.match(readFileSync(join(s.reportDir(), 'report.md'), 'utf8'), /run \d+: \d+ op\(s\), as run \(not shrunk\)\./);
  t.match(String(broken.stdout), /: \d+ op\(s\), as run \(not shrunk\); replay: /, 'the CLI line says so too');
});

t.test('--reference with the kernel target, or a suite missing from the recording, is a usage error', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', 'kernel', '--reference', '/nonexistent.json']);
  t.equal(r.exitCode, 2);
  t.match(String(r.stderr), /^ovl-check: --reference compares another target/);
  const missing = await s.run(['run', '--target', KERNEL_EXEC, '--reference', '/nonexistent.json']);
  t.equal(missing.exitCode, 2);
  t.match(String(missing.stderr), /nonexistent\.json: cannot read the reference traces/);
});

t.test('a reference file of another shape, or without a suite asked for, is refused before anything runs', async (t) => {
  const s = sandbox(t);
  const run = { index: 1, scenario: { lowers: [{ entries: [] }], upper: { entries: [] }, ops: [] }, trace: { target: 'kernel', skipped: {}, ops: [], merged: [], upper: [], lowers: [[]] } };
  // A read-only review: {"a":1} passed (the run went live with no reference), a string crashed.
  for (const [text, suites, msg] of [
    ['{"a":1}', 'basic', /wrong\.json: not the traces\.json of a --target kernel run/],
    ['{"suites":{"basic":"x"}}', 'basic', /wrong\.json: suite basic: expected a list of recorded scenarios/],
    [JSON.stringify({ suites: { basic: [run] } }), 'basic,whiteouts', /wrong\.json: has no traces for suite whiteouts \(has: basic\)/],
  ] as const) {
    const file = join(s.tmp, 'wrong.json');
    writeFileSync(file, text);
    const r = await s.run(['run', '--target', KERNEL_EXEC, '--reference', file, '--suite', suites, '--runs', '1']);
    t.equal(r.exitCode, 2, text);
    t.equal(String(r.stderr).trim().split('\n').length, 1, `one line, nothing ran: ${String(r.stderr)}`);
    t.match(String(r.stderr), msg);
  }
});
