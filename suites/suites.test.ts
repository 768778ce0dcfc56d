// Every named suite, with its small fixed budget, on every `npm test`: ovl-fuse against the
// kernel once it is built (dist/fuse), until then the kernel's own mount command against the
// kernel target, which checks that each suite observes deterministically. OVLKIT_CHECK_TARGET
// overrides the target (any --target value).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { scenarioToString } from '../src/conformance/arbitraries.js';
import { installSignalCleanup } from '../src/conformance/cleanup.js';
import { loadRules } from '../src/conformance/divergences.js';
import { ScenarioRunner } from '../src/conformance/runner.js';
import { runSuite } from '../src/conformance/session.js';
import { loadSuite, suiteNames, suitesDir } from '../src/conformance/suite.js';
import { kernelTarget, packageRoot, parseTarget } from '../src/conformance/targets.js';
import { listMounts } from '../src/sys/index.js';

// If tap kills this file on its timeout, the mounts it made still go.
installSignalCleanup('suites.test');
// Run dirs go under a private TMPDIR, so the leak check sees only this file's mounts (other
// checkouts may run the same suites on this machine at the same time).
const privateTmp = mkdtempSync(join(tmpdir(), 'ovlkit-suites-'));
process.env.TMPDIR = privateTmp;
t.teardown(() => rmSync(privateTmp, { recursive: true, force: true }));

const KERNEL_EXEC = 'exec:mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';
const targetSpec = process.env.OVLKIT_CHECK_TARGET ?? (existsSync(join(packageRoot, 'dist/fuse')) ? 'fuse' : KERNEL_EXEC);
const target = parseTarget(targetSpec);
const rules = loadRules(join(suitesDir, 'divergences.json'));
const runner = new ScenarioRunner({ timeoutMs: 10_000 });
t.teardown(() => runner.close());

const SEED = 4242;

// Every suite mounts both overlays per scenario (layer-change scenarios a fresh mount and a fresh
// kernel run more): about two minutes alone, more on a shared machine than .taprc's 300 s allow.
t.setTimeout(900_000);

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
    // The runner keeps one tmpfs for every scenario until it is closed; nothing else may stay.
    const runnerFs = (target: string) => /\/ovl-check-[^/]+\/fs$/.test(target);
    t.same(listMounts().filter((m) => m.target.startsWith(privateTmp + '/') && !runnerFs(m.target)), [], 'nothing left mounted');
  });
}

t.test('nothing left mounted once the runner is closed', async (t) => {
  runner.close();
  t.same(listMounts().filter((m) => m.target.startsWith(privateTmp + '/')), []);
});
