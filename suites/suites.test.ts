// Every named suite, with its small fixed budget, on every `npm test`: ovl-fuse against the
// kernel once it is built (dist/fuse), until then the kernel's own mount command against the
// kernel target, which checks that each suite observes deterministically. OVLKIT_CHECK_TARGET
// overrides the target (any --target value).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { scenarioToString } from '../src/conformance/arbitraries.js';
import { loadRules } from '../src/conformance/divergences.js';
import { ScenarioRunner } from '../src/conformance/runner.js';
import { runSuite } from '../src/conformance/session.js';
import { loadSuite, suiteNames, suitesDir } from '../src/conformance/suite.js';
import { kernelTarget, packageRoot, parseTarget } from '../src/conformance/targets.js';
import { listMounts } from '../src/sys/index.js';

const KERNEL_EXEC = 'exec:mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';
const targetSpec = process.env.OVLKIT_CHECK_TARGET ?? (existsSync(join(packageRoot, 'dist/fuse')) ? 'fuse' : KERNEL_EXEC);
const target = parseTarget(targetSpec);
const rules = loadRules(join(suitesDir, 'divergences.json'));
// Scenario dirs go under a root of this run's own, so the leftover check sees only our mounts
// (other ovl-check runs on the same machine make /tmp/ovl-check-* mounts of their own).
const ownTmp = mkdtempSync(join(tmpdir(), 'ovlkit-suites-'));
process.env.TMPDIR = ownTmp;
const runner = new ScenarioRunner({ timeoutMs: 10_000 });
t.teardown(async () => {
  await runner.close();
  rmSync(ownTmp, { recursive: true, force: true });
});

const SEED = 4242;

for (const name of suiteNames()) {
  t.test(`suite ${name} (${target.name === 'fuse' ? 'ovl-fuse' : targetSpec.slice(0, 20)} vs kernel)`, async (t) => {
    const cfg = loadSuite(name);
    const r = await runSuite(cfg, { runner, target, reference: kernelTarget, rules, seed: SEED, runs: cfg.testRuns, shrinkBudgetMs: 5000 });
    t.equal(r.error, undefined);
    for (const ce of r.counterexamples) {
      const detail =
        `${scenarioToString(ce.minimal.scenario)}\n` +
        ce.minimal.classified.filter((c) => !c.accepted).map((c) => JSON.stringify(c.difference)).join('\n') +
        `\nreplay: ovl-check run --target '${targetSpec}' --suite ${name} --seed ${SEED} --runs ${cfg.testRuns}`;
      t.fail(`unexpected divergence:\n${detail}`);
    }
    if (!cfg.corpus && r.counterexamples.length === 0) t.equal(r.results.length, cfg.testRuns, 'the whole budget ran');
    t.same(listMounts().filter((m) => m.target.startsWith(ownTmp + '/')), [], 'nothing left mounted');
  });
}
