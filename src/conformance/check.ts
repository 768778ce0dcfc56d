// `ovl-check run` as a pipeline: resolve (target, reference, suites, rules) → run the suites →
// build the report model → write the report dir. No printing here except through onProgress.
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { attachToString } from './arbitraries.js';
import { type AcceptRule, loadRules } from './divergences.js';
import { readDivergenceFile, readReferenceTraces, type RecordedRun } from './json-file.js';
import { prepareOutDir } from './out-dir.js';
import { buildModel, type RunModel } from './report/model.js';
import { type DivergenceFile, claimReportDir, reportDirName, writeReport } from './report/write.js';
import { ScenarioRunner } from './runner.js';
import type { Scenario } from './scenario.js';
import { compareOne, type Progress, runAgainstRecorded, runSuite, type SuiteResult, unshrunk } from './session.js';
import { resolveSuites, type SuiteConfig, suiteNames, suitesDir } from './suite.js';
import { kernelTarget, parseTarget, type Target } from './targets.js';

export interface CheckOptions {
  /** As given to --target; unset: the replayed divergence's target, else the kernel. */
  target?: string;
  suites: string;
  seed: number;
  /** Overrides each suite's default run count. */
  runs?: number;
  /** Use each suite's small `testRuns` budget (npm test). */
  testBudget?: boolean;
  replay?: string;
  reference?: string;
  divergences?: string;
  out: string;
  timeoutMs: number;
  shrinkBudgetMs?: number;
  maxDivergences?: number;
  command: string;
  onProgress?: (p: Progress) => void;
  onSuiteDone?: (s: SuiteResult) => void;
}

export interface CheckResult {
  model: RunModel;
  dir: string;
  exitCode: number;
  suites: SuiteResult[];
}

/** Quote for sh only when needed, so replay commands paste back as they are. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The target a replay runs on when --target is not given: the one the divergence was found on.
 * Defaulting to the kernel compared the kernel with itself and "passed" every divergence (a review).
 */
function replayTarget(d: DivergenceFile | undefined, file: string | undefined): string {
  if (d === undefined) return 'kernel';
  if (typeof d.target !== 'string' || d.target === 'kernel') throw new UsageError(`${file}: the divergence names no target to replay it on; give --target`);
  return d.target;
}

async function replay(d: DivergenceFile, target: Target, runner: ScenarioRunner, rules: AcceptRule[], o: CheckOptions): Promise<SuiteResult[]> {
  const start = Date.now();
  const r = await compareOne({ runner, target, reference: kernelTarget, rules, onProgress: o.onProgress }, d.suite, d.run ?? 1, attachToString(d.scenario as Scenario));
  o.onProgress?.({ suite: d.suite, done: 1, total: 1, shrinks: 0, status: r.status });
  return [{ suite: d.suite, seed: d.seed, results: [r], counterexamples: unshrunk([r]), ms: Date.now() - start }];
}

async function runAll(
  suites: SuiteConfig[], recorded: Record<string, RecordedRun[]> | undefined, target: Target, runner: ScenarioRunner, rules: AcceptRule[], o: CheckOptions,
): Promise<SuiteResult[]> {
  const reference = o.reference || target.name === 'kernel' ? null : kernelTarget;
  const out: SuiteResult[] = [];
  for (const cfg of suites) {
    let r: SuiteResult;
    if (recorded) {
      r = await runAgainstRecorded(cfg.name, recorded[cfg.name]!.map((t) => ({ ...t, scenario: attachToString(t.scenario) })), { runner, target, rules, seed: o.seed, onProgress: o.onProgress });
    } else {
      const runs = o.runs ?? (o.testBudget ? cfg.testRuns : cfg.runs);
      r = await runSuite(cfg, { runner, target, reference, rules, seed: o.seed, runs, shrinkBudgetMs: o.shrinkBudgetMs, maxDivergences: o.maxDivergences, onProgress: o.onProgress });
    }
    out.push(r);
    o.onSuiteDone?.(r);
  }
  return out;
}

export async function runCheck(o: CheckOptions): Promise<CheckResult> {
  if (o.replay && o.reference) throw new UsageError('--replay and --reference cannot be combined');
  // Every input is checked before the first scenario runs: a bad one must not cost a run.
  const replayed = o.replay ? readDivergenceFile(o.replay, 'the divergence to replay', suiteNames()) : undefined;
  const target = parseTarget(o.target ?? replayTarget(replayed, o.replay));
  if (o.reference && target.name === 'kernel') throw new UsageError('--reference compares another target against recorded kernel traces; use --target fuse or exec:CMD');
  const rules = loadRules(o.divergences ?? join(suitesDir, 'divergences.json'));
  const configs = o.replay ? [] : resolveSuites(o.suites);
  const recorded = o.reference ? readReferenceTraces(o.reference, configs.map((c) => c.name)) : undefined;
  const out = prepareOutDir(o.out);
  const startedAt = new Date().toISOString();
  const start = Date.now();
  const runner = new ScenarioRunner({ timeoutMs: o.timeoutMs });
  let suites: SuiteResult[];
  try {
    suites = replayed ? await replay(replayed, target, runner, rules, o) : await runAll(configs, recorded, target, runner, rules, o);
  } finally {
    runner.close();
  }
  const referenceName = o.reference ? `file:${o.reference}` : o.replay || target.name !== 'kernel' ? 'kernel' : null;
  const dir = claimReportDir(out, reportDirName(startedAt, target.name));
  const info = { target: target.name, reference: referenceName, seed: replayed && typeof replayed.seed === 'number' ? replayed.seed : o.seed, startedAt, ms: Date.now() - start, command: o.command };
  const everySuite = !o.replay && suiteNames().every((n) => suites.some((s) => s.suite === n && !s.error));
  const model = buildModel(info, suites, `npx ovl-check run --target ${shellQuote(target.name)}`, dir, rules, everySuite);
  const exitCode = model.totals.diverged > 0 || suites.some((s) => s.error) ? 1 : 0;
  writeReport(dir, model, suites, exitCode, { traces: referenceName === null });
  return { model, dir, exitCode, suites };
}
