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
