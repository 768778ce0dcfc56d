import t from 'tap';
import { issueGoals, summarize, timeRatio, vsOwn } from './summary.js';
import type { Sample } from './types.js';

const spec = { name: 'fuse', title: 'T', subject: 'ovl-fuse', anchors: ['fuse-overlayfs', 'kernel'], targets: ['kernel', 'fuse-overlayfs', 'ovl-fuse'] };

function s(target: string, metric: string, value: number | null, round = 1, unit: Sample['unit'] = 'ms'): Sample {
  const better = unit === 'ms' ? 'lower' : 'higher';
  return { section: 'fuse', target, round, metric, value, unit, better, interfered: 0, ...(value === null ? { fail: 'wrong count' } : {}) };
}

t.test('medians, min–max and time ratios per anchor', async (t) => {
  const samples = [s('kernel', 'walk_warm', 10), s('kernel', 'walk_warm', 30, 2), s('kernel', 'walk_warm', 20, 3), s('fuse-overlayfs', 'walk_warm', 40), s('ovl-fuse', 'walk_warm', 60)];
  const [row] = summarize(spec, samples, []).rows;
  t.same(row!.cells.kernel, { median: 20, min: 10, max: 30, n: 3, fails: [], interfered: 0 });
  t.equal(row!.ratios['fuse-overlayfs'], 1.5);
  t.equal(row!.ratios.kernel, 3);
});

t.test('throughputs are inverted so a ratio above 1 always means slower', async (t) => {
  const row = summarize(spec, [s('fuse-overlayfs', 'readseq_warm', 1000, 1, 'MiB/s'), s('ovl-fuse', 'readseq_warm', 500, 1, 'MiB/s')], []).rows[0]!;
  t.equal(timeRatio(row, 'ovl-fuse', 'fuse-overlayfs'), 2);
});

t.test('one failed round turns the whole cell into FAIL: no median, no ratio, no verdict', async (t) => {
  const samples = [s('fuse-overlayfs', 'create', 100), s('ovl-fuse', 'create', 50), s('ovl-fuse', 'create', null, 2)];
  const row = summarize(spec, samples, issueGoals(500)).rows[0]!;
  t.equal(row.cells['ovl-fuse']!.median, null);
  t.same(row.cells['ovl-fuse']!.fails, ['round 2: wrong count']);
  t.equal(row.ratios['fuse-overlayfs'], null);
  t.same(row.goal, { text: '≤ 1.0× fuse-overlayfs', ratio: null, met: null });
});

t.test('goals: against an anchor, and against the subject\'s own metric', async (t) => {
  const samples = [
    s('fuse-overlayfs', 'walk_cold', 100),
    s('ovl-fuse', 'walk_cold', 160),
    s('ovl-fuse', 'deep_L1_lookup', 100),
    s('ovl-fuse', 'deep_L500_lookup', 140),
  ];
  const rows = summarize(spec, samples, issueGoals(500)).rows;
  const cold = rows.find((r) => r.metric === 'walk_cold')!;
  t.same(cold.goal, { text: '≤ 1.5× fuse-overlayfs', ratio: 1.6, met: false });
  const deep = rows.find((r) => r.metric === 'deep_L500_lookup')!;
  t.equal(deep.goal?.met, true);
  t.ok(Math.abs(deep.goal!.ratio! - 1.4) < 1e-9);
  const own = vsOwn('fuse', 'x', 'y', 1, 'z');
  t.equal(own.judge(new Map(), 'ovl-fuse'), null, 'missing rows cannot be judged');
});
