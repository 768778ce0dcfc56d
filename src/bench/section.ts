// A benchmark section: a subject program, the anchors it is compared with, and rounds that the
// main loop interleaves with the other sections' rounds.
import type { Sample, SectionSpec, Unavailable } from './types.js';

export interface Section {
  spec: SectionSpec;
  /** Generate inputs and probe the targets; the targets that cannot run, with reasons. */
  prepare(): Promise<Unavailable[]>;
  /** One round over the available targets. */
  round(n: number): Promise<Sample[]>;
}

/**
 * The targets in the order round `n` (from 1) runs them: the first rotates with the round, so
 * drift over a long run (a warming cache, a neighbour's load) spreads evenly over the targets.
 */
export function roundOrder<T>(targets: readonly T[], n: number): T[] {
  return targets.map((_, i) => targets[(i + n - 1) % targets.length]!);
}
