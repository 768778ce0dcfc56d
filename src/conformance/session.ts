// One suite run: fast-check generates scenarios from the suite's arbitraries with a seed, each
// runs on the reference (the kernel) and on the target, and the traces are diffed and classified.
// The first scenario with an unexpected difference fails the property and fast-check shrinks it;
// the last failing scenario of the shrink is the minimal reproduction.
import fc from 'fast-check';
import { attachToString, scenarioArb } from './arbitraries.js';
import { diffTraces } from './diff.js';
import { type AcceptRule, type Classified, classify } from './divergences.js';
import type { ScenarioRunner } from './runner.js';
import type { Scenario } from './scenario.js';
import { loadCorpus, type SuiteConfig } from './suite.js';
import type { Target } from './targets.js';
import type { Trace } from './trace.js';

export type Status = 'pass' | 'accepted' | 'diverged' | 'recorded';

export interface ScenarioResult {
  suite: string;
  /** 1-based index among the suite's generated runs. */
  index: number;
  status: Status;
  scenario: Scenario;
  classified: Classified[];
  reference?: Trace;
  target: Trace;
  ms: number;
}

export interface Counterexample {
  /** The minimal scenario's result after shrinking. */
  minimal: ScenarioResult;
  /** The run that first diverged, before shrinking. */
  original: ScenarioResult;
  shrinks: number;
  /** fast-check's replay path (with the seed, `fc.check` reproduces the shrink). */
  path: string | undefined;
}

export interface SuiteResult {
  suite: string;
  seed: number;
  results: ScenarioResult[];
  /** Unexpected divergences: at most one (shrunk) for a generated suite; each diverged case for fixed scenarios. */
  counterexamples: Counterexample[];
  /** Set when the reference could not be run or the suite aborted. */
  error?: string;
  ms: number;
}

export interface Progress {
  suite: string;
  done: number;
  total: number;
  shrinks: number;
  status?: Status;
}

export interface SessionOptions {
  runner: ScenarioRunner;
  target: Target;
  /** The live reference, or null to only record the target's traces (`--target kernel`). */
  reference: Target | null;
  rules: AcceptRule[];
  seed: number;
  runs: number;
  /** Stop shrinking after this long and keep the smallest divergence found so far. */
  shrinkBudgetMs?: number;
  onProgress?: (p: Progress) => void;
}

/** Every diverged result as its own counterexample (fixed scenarios are not shrunk). */
export function unshrunk(results: ScenarioResult[]): Counterexample[] {
  return results.filter((r) => r.status === 'diverged').map((r) => ({ original: r, minimal: r, shrinks: 0, path: undefined }));
}

/** Run one scenario on both sides and classify the differences. */
export async function compareOne(o: Omit<SessionOptions, 'seed' | 'runs'>, suite: string, index: number, scenario: Scenario, reference?: Trace): Promise<ScenarioResult> {
  const start = Date.now();
  const live = !reference && o.reference ? o.reference : null;
  // Both sides at once (each in its own dirs and worker): a kernel side waits mostly on mount and
  // umount, the other side's work fits in those waits. Not when the scenario drops caches: that is
  // machine-wide and would change what the other side's dentry cache still holds.
  const together = live !== null && !scenario.ops.some((op) => op.op === 'dropCaches');
  const [ref, tgt] = together
    ? await Promise.all([o.runner.run(live, scenario), o.runner.run(o.target, scenario)])
    : [reference ?? (live ? await o.runner.run(live, scenario) : undefined), await o.runner.run(o.target, scenario)];
  if (!ref) return { suite, index, status: 'recorded', scenario, classified: [], target: tgt, ms: Date.now() - start };
  const classified = classify(o.rules, o.target.name, diffTraces(ref, tgt), ref.ops.map((x) => x.op));
  const status: Status = classified.length === 0 ? 'pass' : classified.every((c) => c.accepted) ? 'accepted' : 'diverged';
  return { suite, index, status, scenario, classified, reference: ref, target: tgt, ms: Date.now() - start };
}

/** A corpus suite: its fixed scenarios, each compared as it is (they are small already; no shrinking). */
async function runCorpus(cfg: SuiteConfig, o: SessionOptions): Promise<SuiteResult> {
  const start = Date.now();
  const results: ScenarioResult[] = [];
  // Fixed scenarios run in full whatever --runs says: each is a case of the spec.
  const cases = loadCorpus(cfg);
  for (const [i, c] of cases.entries()) {
    const r = await compareOne(o, cfg.name, i + 1, attachToString(c.scenario));
    results.push(r);
    o.onProgress?.({ suite: cfg.name, done: results.length, total: cases.length, shrinks: 0, status: r.status });
  }
  return { suite: cfg.name, seed: o.seed, results, counterexamples: unshrunk(results), ms: Date.now() - start };
}

export async function runSuite(cfg: SuiteConfig, o: SessionOptions): Promise<SuiteResult> {
  if (cfg.corpus) return runCorpus(cfg, o);
  const start = Date.now();
  const results: ScenarioResult[] = [];
  let original: ScenarioResult | undefined;
  let minimal: ScenarioResult | undefined;
  let shrinks = 0;
  let shrinkStart = 0;
  const property = fc.asyncProperty(scenarioArb(cfg), async (scenario) => {
    const shrinking = original !== undefined;
    // Out of shrink time: skip the remaining candidates (a failed precondition), so fast-check ends
    // with the smallest divergence found so far instead of running every candidate on both targets.
    if (shrinking && Date.now() - shrinkStart > (o.shrinkBudgetMs ?? Infinity)) fc.pre(false);
    const r = await compareOne(o, cfg.name, shrinking ? original!.index : results.length + 1, scenario);
    if (shrinking) {
      shrinks++;
      if (r.status === 'diverged') minimal = r;
    } else {
      results.push(r);
      if (r.status === 'diverged') {
        original = minimal = r;
        shrinkStart = Date.now();
      }
    }
    o.onProgress?.({ suite: cfg.name, done: results.length, total: o.runs, shrinks, status: r.status });
    return r.status !== 'diverged';
  });
  const details = await fc.check(property, { seed: o.seed, numRuns: o.runs, endOnFailure: false });
  const counterexamples = original && minimal ? [{ original, minimal, shrinks, path: details.counterexamplePath ?? undefined }] : [];
  const out: SuiteResult = { suite: cfg.name, seed: o.seed, results, counterexamples, ms: Date.now() - start };
  if (!original && details.failed) out.error = `property failed outside a scenario: ${String(details.errorInstance ?? 'unknown')}`;
  return out;
}

/** Compare the target against recorded reference traces (`--reference FILE`); no shrinking without a live kernel. */
export async function runAgainstRecorded(
  suite: string,
  recorded: Array<{ index: number; scenario: Scenario; trace: Trace }>,
  o: Omit<SessionOptions, 'seed' | 'runs' | 'reference'> & { seed: number },
): Promise<SuiteResult> {
  const start = Date.now();
  const results: ScenarioResult[] = [];
  for (const r of recorded) {
    const res = await compareOne({ ...o, reference: null }, suite, r.index, r.scenario, r.trace);
    results.push(res);
    o.onProgress?.({ suite, done: results.length, total: recorded.length, shrinks: 0, status: res.status });
  }
  return { suite, seed: o.seed, results, counterexamples: unshrunk(results), ms: Date.now() - start };
}
