// A generated suite: fast-check draws `runs` scenarios from the suite's arbitraries with a seed,
// each runs on the reference and the target. The run does not stop at the first unexpected
// divergence: every scenario runs, the diverged ones are grouped by category (the first
// unexpected difference's place, field and op), and the first of each category (up to
// maxDivergences) is shrunk by replaying fast-check from its path, so one run shows every
// distinct problem, each once.
import fc from 'fast-check';
import { scenarioArb } from './arbitraries.js';
import type { Classified } from './divergences.js';
import { type Counterexample, compareOne, type ScenarioResult, type SessionOptions, type SuiteResult } from './session.js';
import type { SuiteConfig } from './suite.js';

/** Default cap on distinct divergences shrunk per suite. */
export const MAX_DIVERGENCES = 5;

/** `op:result@rename`, `upper:xattr:trusted.overlay.origin`: what kind of divergence a result shows. */
export function divergenceCategory(classified: readonly Classified[]): string | undefined {
  const first = classified.find((c) => !c.accepted)?.difference;
  if (!first) return undefined;
  const op = first.where === 'op' && first.op ? '@' + first.op.replace(/^(fd\d+ = |dir\d+ = )/, '').split('(')[0] : '';
  return `${first.where}:${first.field}${op}`;
}

export async function runGenerated(cfg: SuiteConfig, o: SessionOptions): Promise<SuiteResult> {
  const start = Date.now();
  const results: ScenarioResult[] = [];
  const arb = scenarioArb(cfg);
  // Every scenario, none failing the property: fast-check only draws them.
  const drawn = await fc.check(
    fc.asyncProperty(arb, async (scenario) => {
      const r = await compareOne(o, cfg.name, results.length + 1, scenario);
      results.push(r);
      o.onProgress?.({ suite: cfg.name, done: results.length, total: o.runs, shrinks: 0, status: r.status });
      return true;
    }),
    { seed: o.seed, numRuns: o.runs },
  );
  const out: SuiteResult = { suite: cfg.name, seed: o.seed, results, counterexamples: [], ms: 0 };
  if (drawn.failed) out.error = `property failed outside a scenario: ${String(drawn.errorInstance ?? 'unknown')}`;
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results.filter((x) => x.status === 'diverged')) {
    const key = divergenceCategory(r.classified)!;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [category, [first, ...rest]] of [...groups].slice(0, o.maxDivergences ?? MAX_DIVERGENCES)) {
    const ce = await shrinkOne(cfg, o, arb, first!, category, results.length);
    out.counterexamples.push({ ...ce, category, alsoIn: rest.map((r) => r.index) });
  }
  out.ms = Date.now() - start;
  return out;
}

/** Replay fast-check to `original`'s run and shrink it, keeping only candidates of the same category. */
async function shrinkOne(
  cfg: SuiteConfig,
  o: SessionOptions,
  arb: fc.Arbitrary<ScenarioResult['scenario']>,
  original: ScenarioResult,
  category: string,
  done: number,
): Promise<Counterexample> {
  let minimal = original;
  let shrinks = 0;
  let replayed = false;
  const shrinkStart = Date.now();
  const details = await fc.check(
    fc.asyncProperty(arb, async (scenario) => {
      // The first call is the original again (same seed and path): known to diverge, not re-run.
      if (!replayed) {
        replayed = true;
        if (JSON.stringify(scenario) === JSON.stringify(original.scenario)) return false;
      }
      // Out of shrink time: skip the remaining candidates, keep the smallest found so far.
      if (Date.now() - shrinkStart > (o.shrinkBudgetMs ?? Infinity)) fc.pre(false);
      const r = await compareOne(o, cfg.name, original.index, scenario);
      shrinks++;
      o.onProgress?.({ suite: cfg.name, done, total: o.runs, shrinks, status: r.status });
      const same = r.status === 'diverged' && divergenceCategory(r.classified) === category;
      if (same) minimal = r;
      return !same;
    }),
    { seed: o.seed, path: String(original.index - 1), numRuns: 1, endOnFailure: false },
  );
  return { original, minimal, shrinks, shrunk: true, path: details.counterexamplePath ?? undefined };
}
