// Pure: samples → per-section rows of medians, min–max, ratios of the subject to each anchor, and
// the issue's goals judged on those ratios. Ratios are time ratios (subject time / anchor time,
// > 1 = the subject is slower); a throughput metric is inverted so the reading is the same.
import { median } from './record.js';
import type { Cell, GoalVerdict, Row, Sample, SectionSpec, SectionSummary } from './types.js';

export interface Goal {
  section: string;
  metric: string;
  text: string;
  /** the ratio judged: subject vs an anchor, or the subject's own metric vs another of its metrics */
  judge: (rows: Map<string, Row>, subject: string) => number | null;
  max: number;
}

function cellOf(samples: Sample[]): Cell {
  const ok = samples.filter((s) => s.value !== null).map((s) => s.value!);
  const fails = samples.filter((s) => s.fail !== undefined).map((s) => `round ${s.round}: ${s.fail}`);
  // One failed round makes the whole cell a FAIL: a wrong answer must never hide behind a median.
  const usable = fails.length === 0 && ok.length > 0;
  return {
    median: usable ? median(ok) : null,
    min: usable ? Math.min(...ok) : null,
    max: usable ? Math.max(...ok) : null,
    n: ok.length,
    fails,
    interfered: samples.reduce((n, s) => n + s.interfered, 0),
  };
}

/** subject / anchor as a time ratio. */
export function timeRatio(row: Pick<Row, 'better' | 'cells'>, subject: string, anchor: string): number | null {
  const a = row.cells[anchor]?.median;
  const s = row.cells[subject]?.median;
  if (a == null || s == null || a === 0 || s === 0 || row.better === 'none') return null;
  return row.better === 'lower' ? s / a : a / s;
}

export function summarize(spec: SectionSpec, samples: Sample[], goals: Goal[]): SectionSummary {
  const mine = samples.filter((s) => s.section === spec.name);
  const metrics = [...new Set(mine.map((s) => s.metric))];
  const rows = new Map<string, Row>();
  for (const metric of metrics) {
    const ofMetric = mine.filter((s) => s.metric === metric);
    const first = ofMetric[0]!;
    const cells: Record<string, Cell> = {};
    for (const t of spec.targets) {
      const ofTarget = ofMetric.filter((s) => s.target === t);
      if (ofTarget.length > 0) cells[t] = cellOf(ofTarget);
    }
    const row: Row = { metric, unit: first.unit, better: first.better, cells, ratios: {} };
    for (const a of spec.anchors) row.ratios[a] = timeRatio(row, spec.subject, a);
    rows.set(metric, row);
  }
  for (const g of goals.filter((g) => g.section === spec.name)) {
    const row = rows.get(g.metric);
    if (!row) continue;
    const ratio = g.judge(rows, spec.subject);
    const verdict: GoalVerdict = { text: g.text, ratio, met: ratio === null ? null : ratio <= g.max };
    row.goal = verdict;
  }
  return { ...spec, rows: [...rows.values()] };
}

/** Goal "subject ≤ max × anchor" on `metric`. */
export function vsAnchor(section: string, metric: string, anchor: string, max: number, text: string): Goal {
  return { section, metric, text, max, judge: (rows, subject) => (rows.has(metric) ? timeRatio(rows.get(metric)!, subject, anchor) : null) };
}

/** Goal "subject's `metric` ≤ max × its own `base`" (e.g. 500-lower lookup vs 1-lower lookup). */
export function vsOwn(section: string, metric: string, base: string, max: number, text: string): Goal {
  return {
    section,
    metric,
    text,
    max,
    judge: (rows, subject) => {
      const m = rows.get(metric)?.cells[subject]?.median;
      const b = rows.get(base)?.cells[subject]?.median;
      return m == null || b == null || b === 0 ? null : m / b;
    },
  };
}

/** The goals of issue 6, judged against the anchors measured in the same run. */
export function issueGoals(deepMax: number): Goal[] {
  const fo = 'fuse-overlayfs';
  return [
    vsAnchor('fuse', 'walk_cold', fo, 1.5, '≤ 1.5× fuse-overlayfs'),
    vsAnchor('fuse', 'walk_warm', fo, 1.0, '≤ 1.0× fuse-overlayfs'),
    vsAnchor('fuse', 'walk_remount', fo, 2.0, '≤ 2× fuse-overlayfs'),
    vsAnchor('fuse', 'readseq_warm', fo, 1.0, '≥ 1.0× fuse-overlayfs throughput'),
    vsAnchor('fuse', 'create', fo, 1.0, '≤ 1.0× fuse-overlayfs'),
    vsAnchor('fuse', 'untar', fo, 1.5, '≤ 1.5× fuse-overlayfs'),
    vsAnchor('fuse', 'copyup_total', fo, 1.0, '≤ 1.0× fuse-overlayfs'),
    vsOwn('fuse', `deep_L${deepMax}_lookup`, 'deep_L1_lookup', 1.5, `≤ 1.5× its own 1-lower lookup`),
    vsAnchor('dedup', 'scan', 'jdupes', 1.0, 'faster than jdupes -r'),
  ];
}
