// The human output is snapshotted so format changes are deliberate (tap's t.matchSnapshot).
import t from 'tap';
import { renderMarkdown, renderTerminal } from './render.js';
import { issueGoals, summarize } from './summary.js';
import type { Report, Sample } from './types.js';

function sample(target: string, metric: string, value: number | null, round: number): Sample {
  return { section: 'fuse', target, round, metric, value, unit: 'ms', better: 'lower', interfered: round === 2 ? 1 : 0, ...(value === null ? { fail: 'find saw 3 entries, expected 4' } : {}) };
}

const samples = [
  sample('kernel', 'walk_cold', 450, 1),
  sample('kernel', 'walk_cold', 470, 2),
  sample('fuse-overlayfs', 'walk_cold', 900, 1),
  sample('fuse-overlayfs', 'walk_cold', 1100, 2),
  sample('kernel', 'create', 1000, 1),
  sample('fuse-overlayfs', 'create', 3000, 1),
];
const spec = { name: 'fuse', title: 'FUSE workloads', subject: 'ovl-fuse', anchors: ['fuse-overlayfs', 'kernel'], targets: ['kernel', 'fuse-overlayfs', 'ovl-fuse'] };
const report: Report = {
  schema: 'ovlkit-bench/1',
  profile: 'quick',
  rounds: 2,
  startedAt: '2026-11-26T21:00:00.000Z',
  finishedAt: '2026-11-26T21:02:00.000Z',
  environment: { date: '2026-11-26T21:00:00.000Z', host: 'vm', kernel: '6.18', cpus: 2, memGiB: 24, node: 'v20', loadavg: [1, 1, 1], versions: { 'fuse-overlayfs': '1.10' } },
  sizes: {},
  sections: [summarize(spec, [...samples, sample('ovl-fuse', 'create', null, 1)], issueGoals(500))],
  unavailable: [],
  samples,
  notes: [],
};

t.test('terminal tables', async (t) => {
  t.matchSnapshot(renderTerminal(report));
});

t.test('markdown report', async (t) => {
  const md = renderMarkdown({ ...report, unavailable: [{ section: 'fuse', target: 'ovl-fuse', reason: 'not implemented yet' }] });
  t.match(md, '| walk_cold (ms) | 460 (450–470) !1 | 1000 (900–1100) !1 | n/a |');
  t.match(md, '- ovl-fuse: unavailable (not implemented yet)');
  t.matchSnapshot(md);
});
