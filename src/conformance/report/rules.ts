// Which rule accepted what in a run (counts per rule, derived ones apart), the rules that apply
// to the target but matched nothing (stale: remove them or find what they were for), and the
// freshness of every difference seen after a layer changed while mounted.
import { type AcceptRule, appliesTo, type Freshness } from '../divergences.js';
import type { Difference } from '../diff.js';
import type { ScenarioResult } from '../session.js';

export interface RuleUse {
  id: string;
  /** Scenarios in which the rule accepted at least one difference. */
  scenarios: number;
  /** Differences it accepted itself, and differences derived from those. */
  differences: number;
  derived: number;
}

export interface FreshnessCounts {
  suite: string;
  scenarios: number;
  fresher: number;
  staler: number;
  unlike: number;
}

/** One scenario's judged observations: what the kernel showed, what the target showed. */
export interface LayerChangeReport {
  suite: string;
  index: number;
  observations: Array<{ difference: Difference; freshness: Freshness }>;
}

export function ruleUsage(rules: AcceptRule[], target: string, results: ScenarioResult[]): { used: RuleUse[]; stale: string[] } {
  const use = new Map<string, RuleUse>();
  for (const r of results) {
    const seen = new Set<string>();
    for (const c of r.classified) {
      if (!c.accepted) continue;
      const u = use.get(c.accepted) ?? { id: c.accepted, scenarios: 0, differences: 0, derived: 0 };
      if (c.derivedFrom !== undefined) u.derived++;
      else u.differences++;
      if (!seen.has(c.accepted)) u.scenarios++;
      seen.add(c.accepted);
      use.set(c.accepted, u);
    }
  }
  const stale = rules.filter((r) => appliesTo(r, target) && !use.has(r.id)).map((r) => r.id);
  return { used: [...use.values()].sort((a, b) => b.scenarios - a.scenarios || (a.id < b.id ? -1 : 1)), stale };
}

export function layerChanges(results: ScenarioResult[]): { counts: FreshnessCounts[]; reports: LayerChangeReport[] } {
  const counts = new Map<string, FreshnessCounts>();
  const reports: LayerChangeReport[] = [];
  for (const r of results) {
    const observations = r.classified.flatMap((c) => (c.freshness ? [{ difference: c.difference, freshness: c.freshness }] : []));
    if (!observations.length) continue;
    reports.push({ suite: r.suite, index: r.index, observations });
    const n = counts.get(r.suite) ?? { suite: r.suite, scenarios: 0, fresher: 0, staler: 0, unlike: 0 };
    n.scenarios++;
    for (const o of observations) n[o.freshness]++;
    counts.set(r.suite, n);
  }
  return { counts: [...counts.values()], reports };
}
