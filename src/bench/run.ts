// One benchmark invocation: build the sections, prepare them, run their rounds interleaved
// (round 1 of every section, then round 2, …), summarize, print and write the reports.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unmountBelow } from './cleanup.js';
import { prepareData } from './dataset.js';
import { dedupSection } from './dedup-suite.js';
import { checkSection } from './check-suite.js';
import { environment } from './environment.js';
import { WORKLOADS, fsSection } from './fs-suite.js';
import type { BenchOptions } from './options.js';
import { renderMarkdown, renderTerminal } from './render.js';
import type { Section } from './section.js';
import { issueGoals, summarize } from './summary.js';
import { type FsTarget, OVL_FUSE_PREVIOUS, PREVIOUS_TRANSPORT, fuseOverlayfs, kernel, locateBin, ovlFuse } from './targets.js';
import { setDropCaches } from './record.js';
import { startGuard, stopGuard } from './guard.js';
import { lockDataDir } from './lock.js';
import type { Report, Sample, Unavailable } from './types.js';

export function log(m: string): void {
  process.stderr.write(`bench: ${m}\n`);
}

function fuseTargets(opts: BenchOptions): Array<FsTarget | { name: string; unavailable: string }> {
  const loc = locateBin('ovl-fuse', opts.bins['ovl-fuse']);
  if (!('bin' in loc)) {
    return [kernel, fuseOverlayfs, { name: 'ovl-fuse', unavailable: loc.reason }, { name: OVL_FUSE_PREVIOUS, unavailable: loc.reason }];
  }
  // The previous transport runs beside the default one, so the report shows what the change bought.
  return [kernel, fuseOverlayfs, ovlFuse(loc.bin), ovlFuse(loc.bin, PREVIOUS_TRANSPORT)];
}

function sections(opts: BenchOptions, runRoot: string, note: (m: string) => void): Section[] {
  const out: Section[] = [];
  if (opts.sections.includes('fuse')) {
    const workloads = WORKLOADS.filter((w) => opts.workloads.includes(w.name));
    const lowers = join(opts.dataDir, `lowers-${opts.profile}`);
    out.push(fsSection({ targets: fuseTargets(opts), workloads, runRoot: join(runRoot, 'fuse'), log, note }, () => prepareData(lowers, opts.cacheDir, opts.sizes, log)));
  }
  if (opts.sections.includes('dedup')) {
    out.push(dedupSection({ sizes: opts.sizes, cacheDir: opts.cacheDir, runRoot: join(runRoot, 'dedup'), bin: opts.bins['ovl-dedup'], log }));
  }
  if (opts.sections.includes('check')) {
    out.push(checkSection({ sizes: opts.sizes, runRoot: join(runRoot, 'check'), checkBin: opts.bins['ovl-check'], fuseBin: opts.bins['ovl-fuse'], log }));
  }
  return out;
}

/** The programs whose checkout versions go into the report. */
function programBins(opts: BenchOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['ovl-fuse', 'ovl-dedup', 'ovl-check'] as const) {
    const loc = locateBin(name, opts.bins[name]);
    if ('bin' in loc) out[name] = loc.bin;
  }
  return out;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function runBench(opts: BenchOptions): Promise<Outcome> {
  const started = new Date();
  const unlock = lockDataDir(opts.dataDir);
  try {
    return await runLocked(opts, started);
  } finally {
    unlock();
  }
}

type Outcome = { report: Report; files: string[]; failed: boolean };

/** Prepare every section, then run round r of each section before round r + 1 of any. */
async function measure(secs: Section[], rounds: number): Promise<{ unavailable: Unavailable[]; samples: Sample[] }> {
  const unavailable: Unavailable[] = [];
  const samples: Sample[] = [];
  for (const s of secs) unavailable.push(...(await s.prepare()));
  for (let r = 1; r <= rounds; r++) for (const s of secs) samples.push(...(await s.round(r)));
  return { unavailable, samples };
}

function writeReports(report: Report, dir: string, started: Date): string[] {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `bench-${stamp(started)}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`${base}.md`, renderMarkdown(report));
  log(`reports: ${base}.json, ${base}.md`);
  return [`${base}.json`, `${base}.md`];
}

async function runLocked(opts: BenchOptions, started: Date): Promise<Outcome> {
  setDropCaches(opts.dropCaches);
  // A measurement may take a few timed steps; twice the step limit without progress is a hang.
  startGuard(2 * opts.sizes.stepTimeoutMs);
  const runRoot = join(opts.dataDir, 'run');
  await unmountBelow(runRoot);
  rmSync(runRoot, { recursive: true, force: true });
  mkdirSync(runRoot, { recursive: true });
  const onSignal = () => {
    log('interrupted: unmounting');
    void unmountBelow(runRoot).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const env = await environment(programBins(opts));
  const notes: string[] = opts.dropCaches ? [] : ['--no-drop-caches: "cold" values only had a remount, the page cache was not dropped'];
  const note = (m: string) => {
    log(m);
    notes.push(m);
  };
  const secs = sections(opts, runRoot, note);
  let measured: { unavailable: Unavailable[]; samples: Sample[] };
  try {
    measured = await measure(secs, opts.sizes.rounds);
  } finally {
    await unmountBelow(runRoot);
    await stopGuard();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { unavailable, samples } = measured;
  const goals = issueGoals(Math.max(...opts.sizes.deepLayers));
  const report: Report = {
    schema: 'ovlkit-bench/1',
    profile: opts.profile,
    rounds: opts.sizes.rounds,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: env,
    sizes: { ...opts.sizes },
    sections: secs.map((s) => summarize(s.spec, samples, goals)),
    unavailable,
    samples,
    notes,
  };
  process.stdout.write(renderTerminal(report));
  return { report, files: writeReports(report, opts.reportsDir, started), failed: samples.some((s) => s.fail !== undefined) };
}
