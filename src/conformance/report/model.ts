// The run as reporters see it (pure data, built once): totals per suite and per category, and
// the unexpected divergences with the files and replay command that go with them.
import { firstParting } from '../diff.js';
import type { AcceptRule } from '../divergences.js';
import type { ScenarioResult, Status, SuiteResult } from '../session.js';
import { type FreshnessCounts, type LayerChangeReport, layerChanges, type RuleUse, ruleUsage } from './rules.js';

export interface RunInfo {
  target: string;
  /** 'kernel' (live), 'file:PATH' (--reference) or null (recording only). */
  reference: string | null;
  seed: number;
  startedAt: string;
  ms: number;
  /** The command line that reproduces this run. */
  command: string;
}

export interface SuiteCounts {
  suite: string;
  seed: number;
  scenarios: number;
  pass: number;
  accepted: number;
  diverged: number;
  recorded: number;
  ms: number;
  error?: string;
}

export interface UnexpectedDivergence {
  id: string;
  suite: string;
  /** The first unexpected difference's `where:field@op`; one divergence is kept per category. */
  category?: string;
  /** Other scenarios of the suite that diverged in the same category. */
  alsoIn: number[];
  /** 1-based index of the run that first diverged. */
  run: number;
  shrinks: number;
  /** Whether shrinking was tried (a generated suite's run), so a report does not call a scenario shown as run "shrunk". */
  shrunk: boolean;
  /** 0-based op index where the targets part, if an op differs. */
  partingOp?: number;
  minimal: ScenarioResult;
  /** File names inside the report dir. */
  json: string;
  repro: string;
  replay: string;
  fcPath?: string;
  /** The scenario as generated, before shrinking. */
  original: ScenarioResult['scenario'];
}

export interface RunModel {
  info: RunInfo;
  suites: SuiteCounts[];
  totals: Omit<SuiteCounts, 'suite' | 'seed' | 'error'>;
  /** Differences by category (accepted rule id, or `where:field`): `count` differences in `scenarios` scenarios. */
  categories: Array<{ suite: string; category: string; accepted: boolean; count: number; scenarios: number }>;
  unexpected: UnexpectedDivergence[];
  results: ScenarioResult[];
  /** Per accepting rule: how many scenarios and differences (own and derived) it accepted. */
  rules: RuleUse[];
  /** Rules that apply to the target and accepted nothing in this run. */
  staleRules: string[];
  /** After layers changed while mounted: freshness counts per suite, and each judged scenario. */
  freshness: FreshnessCounts[];
  layerChanges: LayerChangeReport[];
}

/**
 * How the scenario shown came to be, for every report and the CLI line: "shrunk" only where
 * fast-check tried (a review saw "shrunk to 1 op(s)" under a fixed case that nothing had shrunk).
 */
export function shrinkText(u: Pick<UnexpectedDivergence, 'shrinks' | 'shrunk' | 'minimal'>): string {
  const ops = `${u.minimal.scenario.ops.length} op(s)`;
  if (!u.shrunk) return `${ops}, as run (not shrunk)`;
  return u.shrinks > 0 ? `shrunk in ${u.shrinks} step(s) to ${ops}` : `${ops}; no smaller scenario shows it`;
}

function count(results: ScenarioResult[], s: Status): number {
  return results.filter((r) => r.status === s).length;
}

/**
 * `everySuite`: the run covered every suite, so a rule that matched nothing is stale. Rules are not
 * scoped to suites: after `--suite basic` or a replay, a rule for renames or layer changes matched
 * nothing only because nothing exercised it.
 */
export function buildModel(info: RunInfo, suites: SuiteResult[], replayBase: string, dir: string, rules: AcceptRule[] = [], everySuite = true): RunModel {
  const counts = suites.map((s) => ({
    suite: s.suite,
    seed: s.seed,
    scenarios: s.results.length,
    pass: count(s.results, 'pass'),
    accepted: count(s.results, 'accepted'),
    diverged: count(s.results, 'diverged'),
    recorded: count(s.results, 'recorded'),
    ms: s.ms,
    ...(s.error ? { error: s.error } : {}),
  }));
  const totals = { scenarios: 0, pass: 0, accepted: 0, diverged: 0, recorded: 0, ms: info.ms };
  for (const c of counts) for (const k of ['scenarios', 'pass', 'accepted', 'diverged', 'recorded'] as const) totals[k] += c[k];
  const cat = new Map<string, { suite: string; category: string; accepted: boolean; count: number; scenarios: number }>();
  for (const s of suites) {
    for (const r of s.results) {
      // A scenario counts once per category however many of its differences fall in it (the
      // HTML matrix's cells are scenarios: a review saw "33 scenarios" in a suite of 15).
      const seen = new Set<string>();
      for (const c of r.classified) {
        const category = c.accepted ? c.accepted + (c.derivedFrom !== undefined ? ' (derived)' : '') : `${c.difference.where}:${c.difference.field}`;
        const key = `${s.suite}\0${category}\0${!!c.accepted}`;
        const e = cat.get(key) ?? { suite: s.suite, category, accepted: !!c.accepted, count: 0, scenarios: 0 };
        e.count++;
        if (!seen.has(key)) (seen.add(key), e.scenarios++);
        cat.set(key, e);
      }
    }
  }
  const unexpected = suites.flatMap((s) =>
    s.counterexamples.map((ce) => {
      const id = `${s.suite}-run${ce.original.index}`;
      const json = `divergence-${id}.json`;
      const parting = firstParting(ce.minimal.classified.filter((c) => !c.accepted).map((c) => c.difference));
      return {
        id,
        suite: s.suite,
        ...(ce.category ? { category: ce.category } : {}),
        alsoIn: ce.alsoIn ?? [],
        run: ce.original.index,
        shrinks: ce.shrinks,
        shrunk: ce.shrunk,
        ...(parting !== undefined ? { partingOp: parting } : {}),
        minimal: ce.minimal,
        json,
        repro: `repro-${id}.sh`,
        replay: `${replayBase} --replay ${dir}/${json}`,
        ...(ce.path ? { fcPath: ce.path } : {}),
        original: ce.original.scenario,
      };
    }),
  );
  const results = suites.flatMap((s) => s.results);
  const usage = info.reference ? ruleUsage(rules, info.target, results) : { used: [], stale: [] };
  const changes = layerChanges(results);
  return {
    info,
    suites: counts,
    totals,
    categories: [...cat.values()],
    unexpected,
    results,
    rules: usage.used,
    staleRules: everySuite ? usage.stale : [],
    freshness: changes.counts,
    layerChanges: changes.reports,
  };
}
