// The observations are deterministic: the kernel through its own mount command (an exec target)
// against the kernel target gives zero divergences on every suite, and the reports say so.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { regressionsFile } from '../../src/conformance/keep.js';
import { KERNEL_EXEC, leftovers, sandbox } from './helpers.js';

// The kept regressions grow as divergences are kept; count them rather than pin a number.
const kept = (JSON.parse(readFileSync(regressionsFile, 'utf8')) as { cases: unknown[] }).cases.length;

t.test('kernel vs kernel (exec target): zero divergences on every suite', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', KERNEL_EXEC, '--suite', 'all', '--runs', '15', '--seed', '20261126']);
  t.equal(r.exitCode, 0, String(r.stderr));
  const sum = s.summary();
  t.equal(sum.exitCode, 0);
  t.equal(sum.totals.diverged, 0);
  t.equal(sum.totals.accepted, 0, 'not even an accepted difference');
  t.equal(sum.totals.scenarios, 18 * 15 + 29 + kept, `all 15 runs of each generated suite, the 29 corpus cases and the ${kept} kept regressions`);
  t.equal(sum.suites.length, 20, '18 generated suites, the section C corpus and the regressions');
  const dir = s.reportDir();
  for (const f of ['summary.json', 'junit.xml', 'report.md']) t.ok(existsSync(join(dir, f)), f);
  const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
  t.equal(junit.match(/<testcase /g)?.length, sum.totals.scenarios, 'one junit testcase per scenario');
  t.match(readFileSync(join(dir, 'report.md'), 'utf8'), /No unexpected divergences/);
  t.match(String(r.stdout), /│ total +│ +\d+ │/, 'the cli-table3 summary');
  t.same(s.leftMounts(), []);
  t.same(leftovers(s.tmp), []);
});
