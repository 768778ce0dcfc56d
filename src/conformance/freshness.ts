// Layers changed while mounted: what the kernel shows is undefined by its documentation but
// deterministic (dentry cache, negative dentries, merged-dir cache). A difference there is judged
// against a third run: the kernel remounted right after each change, i.e. what a fresh mount
// shows. The target is then "fresher than" the kernel (it shows the fresh view, the kernel an
// older one), "staler than" it (the reverse), or "unlike" both. Equal observations are "as fresh as".
import { sameValue, valueAt, type Difference } from './diff.js';
import type { Freshness } from './divergences.js';
import type { Scenario } from './scenario.js';
import type { Trace } from './trace.js';

/** The scenario with a remount after every layer change, and where each original op went. */
export function freshScenario(s: Scenario): { scenario: Scenario; opIndex: number[] } {
  const ops: Scenario['ops'] = [];
  const opIndex: number[] = [];
  for (const o of s.ops) {
    opIndex.push(ops.length);
    ops.push(o);
    if (o.op === 'mutate') ops.push({ op: 'remount' });
  }
  return { scenario: { ...s, ops }, opIndex };
}

/** Judge one difference (kernel = reference side) by the fresh run's value at the same place. */
export function judgeFreshness(d: Difference, fresh: Trace, opIndex: number[]): Freshness {
  const f = valueAt(fresh, d, d.opIndex === undefined ? undefined : opIndex[d.opIndex]);
  if (sameValue(d.reference ?? null, f)) return 'staler';
  if (sameValue(d.target ?? null, f)) return 'fresher';
  return 'unlike';
}

export const FRESHNESS_WORDS: Record<Freshness, string> = { fresher: 'fresher than', staler: 'staler than', unlike: 'unlike both' };
