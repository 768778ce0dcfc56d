// What one run of a scenario on one target observed, after normalisation: the trace two targets
// are compared by, and what `--target kernel` records for `--reference`.
import type { EntryObs, StatObs } from './normalise.js';
import type { OpOutcome, OpValue } from './raw.js';

export type ObsValue = OpValue<StatObs>;
export type ObsResult = OpOutcome<ObsValue>;

export interface OpObs {
  op: string;
  result: ObsResult;
}

export interface Failure {
  phase: 'setup' | 'mount' | 'op' | 'final' | 'unmount';
  opIndex?: number;
  reason: string;
}

export interface Trace {
  target: string;
  /** Layer entries the builder could not create (same on every target), by layer name. */
  skipped: Record<string, string[]>;
  ops: OpObs[];
  /** The merged tree through the mount at the end, sorted depth first. */
  merged?: EntryObs[];
  /** After a scenario changed layers while mounted: the merged tree of a fresh mount at the end. */
  remounted?: EntryObs[];
  /** The upper dir as stored on disk after unmount (overlay xattr values normalised). */
  upper?: EntryObs[];
  /** Each lower as stored after unmount: an overlay must never write there. */
  lowers?: EntryObs[][];
  failure?: Failure;
}
