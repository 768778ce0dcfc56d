// One suite run: fast-check generates scenarios from the suite's arbitraries with a seed, each
// runs on the reference (the kernel) and on the target, and the traces are diffed and classified.
// The first scenario with an unexpected difference fails the property and fast-check shrinks it;
// the last failing scenario of the shrink is the minimal reproduction.
import { attachToString } from './arbitraries.js';
import { diffTraces } from './diff.js';
import { type AcceptRule, type Classified, classify } from './divergences.js';
import { freshScenario, judgeFreshness } from './freshness.js';
import { runGenerated } from './generated.js';
import type { ScenarioRunner } from './runner.js';
import { type Scenario, scenarioAclPaths, scenarioLowerFacts } from './scenario.js';
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
  /** What kind of divergence: the first unexpected difference's place and field (and op). */
  category?: string;
  /** Other generated scenarios of the suite that diverged in the same category (not shrunk). */
  alsoIn?: number[];
  /** The minimal scenario's result after shrinking. */
  minimal: ScenarioResult;
  /** The run that first diverged, before shrinking. */
  original: ScenarioResult;
  shrinks: number;
  /** Whether shrinking was tried: fast-check shrinks a generated suite's run; a fixed case, a recorded reference's or a replayed one is shown as run. */
  shrunk: boolean;
  /** fast-check's replay path (with the seed, `fc.check` reproduces the shrink). */
  path: string | undefined;
}

export interface SuiteResult {
  suite: string;
  seed: number;
  results: ScenarioResult[];
  /** Unexpected divergences: one shrunk per category (up to maxDivergences) for a generated suite; each diverged case for fixed scenarios. */
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
  /** Distinct divergences (by category) shrunk and kept per generated suite; more are counted only. */
  maxDivergences?: number;
  onProgress?: (p: Progress) => void;
}

/** Every diverged result as its own counterexample (fixed scenarios are not shrunk). */
export function unshrunk(results: ScenarioResult[]): Counterexample[] {
  return results.filter((r) => r.status === 'diverged').map((r) => ({ original: r, minimal: r, shrinks: 0, shrunk: false, path: undefined }));
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
  const facts = {
    ...scenarioLowerFacts(scenario),
    referenceOk: (i: number) => ref.ops[i]?.result.ok === true,
    copiedUpPaths: new Set((ref.upper ?? []).filter((e) => Object.keys(e.xattrs ?? {}).some((k) => /^(trusted|user)\.overlay\.origin$/.test(k))).map((e) => e.path)),
  };
  const classified = classify(o.rules, o.target.name, diffTraces(ref, tgt), scenario.ops, scenarioAclPaths(scenario), facts);
  if (o.reference) await judgeLayerChanges(o, scenario, classified);
  const status: Status = classified.length === 0 ? 'pass' : classified.every((c) => c.accepted) ? 'accepted' : 'diverged';
  return { suite, index, status, scenario, classified, reference: ref, target: tgt, ms: Date.now() - start };
}

/** Label each difference accepted as a layer change with its freshness (one more kernel run, only when there are such). */
async function judgeLayerChanges(o: Omit<SessionOptions, 'seed' | 'runs'>, scenario: Scenario, classified: Classified[]): Promise<void> {
  const ids = new Set(o.rules.filter((r) => r.afterLayerChange).map((r) => r.id));
  const judged = classified.filter((c) => c.accepted && ids.has(c.accepted) && c.derivedFrom === undefined);
  if (!judged.length || !o.reference) return;
  const { scenario: freshOne, opIndex } = freshScenario(scenario);
  const fresh = await o.runner.run(o.reference, freshOne);
  for (const c of judged) c.freshness = judgeFreshness(c.difference, fresh, opIndex);
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
  return cfg.corpus ? runCorpus(cfg, o) : runGenerated(cfg, o);
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
