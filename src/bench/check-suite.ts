// The ovl-check section: scenario throughput (scenarios per minute) of `ovl-check run` with the
// same seed and budget on three targets: ovl-fuse (kernel + ovl-fuse pair, diffed), fuse-overlayfs
// (kernel + fuse-overlayfs pair through --target exec) and the kernel alone. A run counts only when
// it exits 0/1 (1 = divergences found, which is the suite's answer, not a broken run) and its
// summary.json shows the requested number of scenarios.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { firstLine, runTool } from '../sys/index.js';
import { Recorder, expect, timed } from './record.js';
import { type Section, roundOrder } from './section.js';
import type { Sizes } from './sizes.js';
import { locateBin, ovlFuse, probe } from './targets.js';
import type { Sample, Unavailable } from './types.js';

export const SECTION = 'check';
const SEED = '20261126';


export interface CheckPlan {
  sizes: Sizes;
  runRoot: string;
  checkBin: string | undefined;
  fuseBin: string | undefined;
  log: (m: string) => void;
}

interface CheckTarget {
  name: string;
  /** the --target value */
  spec: string;
}

/** `--target exec:` template for a FUSE program that takes the kernel's -o syntax and detaches. */
function execSpec(cmd: string): string {
  return `exec:${cmd} -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}`;
}

/** The newest summary.json under `dirs`' reports/*, written after `since`. */
function newestSummary(dirs: string[], since: number): string | null {
  let best: { path: string; mtime: number } | null = null;
  for (const d of dirs) {
    const reports = join(d, 'reports');
    if (!existsSync(reports)) continue;
    for (const name of readdirSync(reports)) {
      const p = join(reports, name, 'summary.json');
      if (!existsSync(p)) continue;
      const mtime = statSync(p).mtimeMs;
      if (mtime >= since && (!best || mtime > best.mtime)) best = { path: p, mtime };
    }
  }
  return best?.path ?? null;
}

interface CheckSummary {
  totals?: { scenarios?: number; diverged?: number };
  suites?: Array<{ suite?: string; scenarios?: number; diverged?: number; error?: string }>;
}

/**
 * Read summary.json (contract: reports/README.md of ovl-check). The speed counts when every
 * suite ran its full budget without an error. Divergences are the suite's answer, shown beside
 * the speed; their shrinking is included in the time (it can only make the number worse). A
 * suite that stopped early (fast-check stops at a divergence) makes the run not comparable.
 */
export function readSummary(text: string, runs: number): { scenarios: number; diverged: number; problem: string | null } {
  const j = JSON.parse(text) as CheckSummary;
  const suites = j.suites ?? [];
  const diverged = j.totals?.diverged ?? 0;
  const scenarios = j.totals?.scenarios ?? 0;
  const broken = suites.find((s) => s.error);
  const short = suites.find((s) => (s.scenarios ?? 0) < runs);
  let problem: string | null = null;
  if (suites.length === 0) problem = 'summary.json lists no suites';
  else if (broken) problem = `suite ${broken.suite}: ${broken.error}`;
  else if (short) problem = `suite ${short.suite} stopped after ${short.scenarios ?? 0} of ${runs} scenarios${(short.diverged ?? 0) > 0 ? ' at a divergence' : ''}: not comparable`;
  return { scenarios, diverged, problem };
}

async function runOnce(plan: CheckPlan, bin: string, t: CheckTarget, scratch: string): Promise<{ ms: number; interfered: number; scenarios: number; diverged: number; problem: string | null }> {
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const since = Date.now() - 1000;
  const { checkSuite, checkRuns } = plan.sizes;
  const args = [bin, 'run', '--target', t.spec, '--suite', checkSuite, '--runs', String(checkRuns), '--seed', SEED, '--out', join(scratch, 'reports')];
  const r = await timed(() => runTool(process.execPath, args, { cwd: scratch, timeoutMs: plan.sizes.stepTimeoutMs * 4 }));
  expect(r.value.exitCode === 0 || r.value.exitCode === 1, `ovl-check run --target ${t.name}: ${firstLine(r.value)}`);
  const summary = newestSummary([scratch], since);
  expect(summary !== null, 'ovl-check wrote no reports/*/summary.json');
  return { ms: r.ms, interfered: r.interfered, ...readSummary(readFileSync(summary, 'utf8'), checkRuns) };
}

export function checkSection(plan: CheckPlan): Section {
  let usable: CheckTarget[] = [];
  let bin = '';
  const spec = { name: SECTION, title: 'ovl-check scenario throughput (scenarios/min; ovl-fuse and fuse-overlayfs each paired with the kernel)', subject: 'ovl-fuse', anchors: ['fuse-overlayfs', 'kernel'], targets: ['kernel', 'fuse-overlayfs', 'ovl-fuse'] };
  return {
    spec,
    async prepare() {
      const unavailable: Unavailable[] = [];
      const all = (reason: string) => spec.targets.map((target) => ({ section: SECTION, target, reason }));
      const loc = locateBin('ovl-check', plan.checkBin);
      if (!('bin' in loc)) return all(`ovl-check: ${loc.reason}`);
      bin = loc.bin;
      mkdirSync(plan.runRoot, { recursive: true });
      const trial = await runTool(process.execPath, [bin, 'run', '--target', 'kernel', '--suite', 'basic', '--runs', '1', '--seed', SEED, '--out', join(plan.runRoot, 'probe-reports')], { cwd: plan.runRoot, timeoutMs: 120_000 });
      if (trial.exitCode !== 0 && trial.exitCode !== 1) return all(`ovl-check run does not work yet: ${firstLine(trial)}`);
      const fuse = locateBin('ovl-fuse', plan.fuseBin);
      usable = [{ name: 'kernel', spec: 'kernel' }, { name: 'fuse-overlayfs', spec: execSpec('fuse-overlayfs') }];
      // The same probe as the FUSE section: ovl-fuse must mount before its throughput means anything.
      const why = 'bin' in fuse ? await probe(ovlFuse(fuse.bin), join(plan.runRoot, 'probe-ovl-fuse')) : fuse.reason;
      // Exec'd as a user runs it (bin/ovl-fuse detaches in sh), on the node that runs the bench.
      if (why === null && 'bin' in fuse) usable.push({ name: 'ovl-fuse', spec: execSpec(`OVL_FUSE_NODE=${process.execPath} ${fuse.bin}`) });
      else unavailable.push({ section: SECTION, target: 'ovl-fuse', reason: why ?? 'unknown' });
      return unavailable;
    },
    async round(n) {
      const samples: Sample[] = [];
      for (const t of roundOrder(usable, n)) {
        const rec = new Recorder(SECTION, t.name, n);
        let diverged = -1;
        await rec.measure('throughput', 'scenarios/min', async () => {
          const r = await runOnce(plan, bin, t, join(plan.runRoot, `${t.name}-${n}`));
          diverged = r.diverged;
          expect(r.problem === null, r.problem ?? '');
          return { value: r.scenarios / (r.ms / 60_000), interfered: r.interfered };
        });
        // The suite's verdict, shown beside the speed: divergences are an answer, not a broken run.
        if (diverged >= 0) rec.ok('diverged', diverged, 'scenarios', 0, 'none');
        plan.log(`round ${n} ovl-check on ${t.name}: ${rec.samples.some((s) => s.fail) ? 'FAIL' : 'ok'}`);
        samples.push(...rec.samples);
      }
      return samples;
    },
  };
}
