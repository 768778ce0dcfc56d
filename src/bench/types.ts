// The plain data a benchmark run produces: one Sample per (target, round, metric), sections that
// group targets measured against each other, and the report built from them. No behaviour here.

export type Unit = 'ms' | 'MiB' | 'MiB/s' | 'entries/s' | 'scenarios/min' | 'scenarios' | 'files';

/** Which way is better; ratios are always turned into "time ratios" (>1 = the subject is slower). */
export type Better = 'lower' | 'higher' | 'none';

/** One measured (or failed) value. */
export interface Sample {
  section: string;
  target: string;
  round: number;
  metric: string;
  /** null when the check failed or the step could not run: then `fail` says why */
  value: number | null;
  unit: Unit;
  better: Better;
  fail?: string;
  /** foreign drop_caches seen in the kernel log during the timed steps of this value */
  interfered: number;
}

/** A target that could not be measured at all, with the reason (never a number). */
export interface Unavailable {
  section: string;
  target: string;
  reason: string;
}

/** One row of the summary: a metric across the targets of a section. */
export interface Row {
  metric: string;
  unit: Unit;
  better: Better;
  cells: Record<string, Cell>;
  /** subject / anchor as a time ratio, per anchor; null when either side has no median */
  ratios: Record<string, number | null>;
  goal?: GoalVerdict;
}

export interface Cell {
  median: number | null;
  min: number | null;
  max: number | null;
  n: number;
  fails: string[];
  interfered: number;
}

export interface GoalVerdict {
  text: string;
  /** null when it cannot be judged (a side missing or failed) */
  met: boolean | null;
  ratio: number | null;
}

/** What a section measures: its subject, the anchors it is compared with, every target. */
export interface SectionSpec {
  name: string;
  title: string;
  /** the project's program measured in this section */
  subject: string;
  /** the targets it is compared with */
  anchors: string[];
  /** every target in display order (unavailable ones get an empty column) */
  targets: string[];
}

/** A section's spec with its rows (summarize's result). */
export interface SectionSummary extends SectionSpec {
  rows: Row[];
}

export interface Environment {
  date: string;
  host: string;
  kernel: string;
  cpus: number;
  memGiB: number;
  node: string;
  loadavg: number[];
  versions: Record<string, string>;
}

export interface Report {
  schema: 'ovlkit-bench/1';
  profile: string;
  rounds: number;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  sizes: Record<string, unknown>;
  sections: SectionSummary[];
  unavailable: Unavailable[];
  samples: Sample[];
  notes: string[];
}
