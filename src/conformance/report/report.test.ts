// Snapshots of the human output (report.md, the terminal table) and the machine formats, built
// from a fixed run, so format changes are deliberate.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { diffTraces } from '../diff.js';
import { classify } from '../divergences.js';
import type { ScenarioResult, SuiteResult } from '../session.js';
import type { Trace } from '../trace.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { buildModel, shrinkText } from './model.js';
import { renderRepro } from './repro.js';
import { renderSummary } from './summary.js';
import { claimReportDir, reportDirName } from './write.js';
import { renderTable } from './table.js';

const stat = { type: 'file', mode: '0644', size: 1, nlink: 1, uid: 0, gid: 0, ino: 'op1', mtime: 1e9, atime: 1e9 };
const trace = (text: string, nlink = 1): Trace => ({
  target: 'x',
  skipped: {},
  ops: [{ op: 'read("a")', result: { ok: true, value: { content: { size: 1, sha: text, text } } } }],
  merged: [{ path: '.', stat: { ...stat, type: 'dir', nlink } }, { path: 'a', stat, content: { size: 1, sha: text, text } }],
  upper: [{ path: '.', stat: { ...stat, type: 'dir' } }],
  lowers: [],
});
const scenario = {
  lowers: [{ entries: [{ path: 'a', kind: 'file' as const, content: 'A', mode: 0o644 }] }, { entries: [{ path: 'a', kind: 'file' as const, content: 'B', mode: 0o644 }] }],
  upper: { entries: [] },
  ops: [{ op: 'read' as const, path: 'a' }],
};
const rules = [
  { id: 'dir-nlink', targets: ['exec:*'], field: 'stat.nlink', type: 'dir', reason: 'r', spec: 'S37' },
  { id: 'never-used', targets: ['exec:*'], field: 'stat.rdev', reason: 'r', spec: 'S56' },
  { id: 'other-target', targets: ['fuse'], field: 'stat.rdev', reason: 'r', spec: 'S56' },
];
const target = 'exec:swap {lowerdir} {merged}';
const result = (index: number, ref: Trace, tgt: Trace, suite = 'basic'): ScenarioResult => {
  const classified = classify(rules, target, diffTraces(ref, tgt));
  const status = classified.length === 0 ? 'pass' : classified.every((c) => c.accepted) ? 'accepted' : 'diverged';
  return { suite, index, status, scenario, classified, reference: ref, target: tgt, ms: 12 };
};
const pass = result(1, trace('A'), trace('A'));
const accepted = result(2, trace('A'), trace('A', 2));
const diverged = result(3, trace('A'), trace('B'));
const suites: SuiteResult[] = [
  { suite: 'basic', seed: 42, results: [pass, accepted, diverged], ms: 1500, counterexamples: [{ original: diverged, minimal: diverged, shrinks: 7, shrunk: true, path: '2:0:0' }] },
  { suite: 'rename', seed: 42, results: [result(1, trace('A'), trace('A'), 'rename')], counterexamples: [], ms: 300 },
];
const info = { target, reference: 'kernel', seed: 42, startedAt: '2026-11-26T21:00:00.000Z', ms: 1800, command: `ovl-check run --target '${target}' --seed 42` };
// A layer-change scenario: the target saw a lower's new content that the kernel's cache hid.
const changed: ScenarioResult = {
  ...pass,
  suite: 'lower-mutation',
  status: 'accepted',
  classified: [{ difference: { where: 'op', opIndex: 1, op: 'read("a")', field: 'content', reference: 'old', target: 'new' }, accepted: 'dir-nlink', freshness: 'fresher' }],
};
suites.push({ suite: 'lower-mutation', seed: 42, results: [changed], counterexamples: [], ms: 100 });
const model = buildModel(info, suites, `npx ovl-check run --target '${target}'`, '/reports/x', rules);

t.test('the model counts per suite and category', async (t) => {
  t.match(model.totals, { scenarios: 5, pass: 2, accepted: 2, diverged: 1 });
  t.same(model.unexpected.map((u) => [u.id, u.partingOp, u.json, u.repro]), [['basic-run3', 0, 'divergence-basic-run3.json', 'repro-basic-run3.sh']]);
  t.match(model.categories, [{ suite: 'basic', category: 'dir-nlink', accepted: true, count: 1, scenarios: 1 }]);
});

t.test('a category counts its scenarios once each, and its differences apart (a review: "33 scenarios" in a suite of 15)', async (t) => {
  const twice = result(4, { ...trace('A'), merged: [{ path: '.', stat: { ...stat, type: 'dir' } }, { path: 'd', stat: { ...stat, type: 'dir' } }] },
    { ...trace('A'), merged: [{ path: '.', stat: { ...stat, type: 'dir', nlink: 2 } }, { path: 'd', stat: { ...stat, type: 'dir', nlink: 2 } }] });
  t.equal(twice.classified.length, 2, 'two differences, one rule');
  const m = buildModel(info, [{ suite: 'basic', seed: 42, results: [twice, accepted], counterexamples: [], ms: 1 }], 'x', '/reports/y', rules);
  t.same(m.categories.map((c) => [c.category, c.scenarios, c.count]), [['dir-nlink', 2, 3]]);
});

t.test('which rule accepted what, and the rules of this target that matched nothing', async (t) => {
  t.same(model.rules, [{ id: 'dir-nlink', scenarios: 2, differences: 2, derived: 0 }]);
  t.same(model.staleRules, ['never-used'], 'a rule for another target is not stale here');
  t.same(model.freshness, [{ suite: 'lower-mutation', scenarios: 1, fresher: 1, staler: 0, unlike: 0 }]);
  t.match(renderMarkdown(model), /identical to the kernel/);
  t.match(renderMarkdown(model), /Stale rules .*`never-used`/);
  t.match(renderMarkdown(model), /\| op 2 \| content \| `"old"` \| `"new"` \| fresher than the kernel \|/);
});

t.test('a run of some suites (or a replay) judges no rule stale', async (t) => {
  const some = buildModel(info, suites, `npx ovl-check run --target '${target}'`, '/reports/x', rules, false);
  t.same(some.staleRules, [], 'never-used may belong to a suite that did not run');
  t.same(some.rules, model.rules, 'rule use is still counted');
  t.notMatch(renderMarkdown(some), /Stale rules/);
});

t.test('"shrunk" only where fast-check tried (a review: "shrunk to N op(s)" under fixed cases)', async (t) => {
  t.equal(shrinkText({ minimal: diverged, shrinks: 7, shrunk: true }), `shrunk in 7 step(s) to ${diverged.scenario.ops.length} op(s)`);
  t.equal(shrinkText({ minimal: diverged, shrinks: 0, shrunk: true }), `${diverged.scenario.ops.length} op(s); no smaller scenario shows it`);
  t.equal(shrinkText({ minimal: diverged, shrinks: 0, shrunk: false }), `${diverged.scenario.ops.length} op(s), as run (not shrunk)`);
});
t.test('report.md', async (t) => t.matchSnapshot(renderMarkdown(model)));
t.test('terminal table', async (t) => t.matchSnapshot(renderTable(model)));
t.test('junit.xml', async (t) => {
  const xml = renderJunit(model);
  t.equal(xml.match(/<testcase /g)?.length, 5, 'one testcase per scenario');
  t.equal(xml.match(/<failure /g)?.length, 1);
  t.matchSnapshot(xml);
});
t.test('summary.json', async (t) => t.matchSnapshot(JSON.parse(renderSummary(model, 1))));
t.test('repro script', async (t) => t.matchSnapshot(renderRepro(diverged, { id: 'basic-run3', suite: 'basic', seed: 42, target, parting: 0 })));

t.test('two runs that start in the same second get a report dir each', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'ovlkit-claim-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const name = reportDirName('2026-12-06T02:42:39.972Z', 'fuse');
  t.same([claimReportDir(out, name), claimReportDir(out, name), claimReportDir(out, name)].map((d) => d.slice(out.length + 1)),
    [name, `${name}-2`, `${name}-3`]);
});

t.test('repro script of a scenario with its lowers on a filesystem of their own', async (t) => {
  const split = { ...diverged, scenario: { ...diverged.scenario, separateLowerFs: true } };
  const script = renderRepro(split, { id: 'split-fs-run1', suite: 'split-fs', seed: 42, target });
  t.match(script, /mkdir lfs && mount -t tmpfs tmpfs lfs/, 'a tmpfs for the lowers');
  t.match(script, /'\{lowerdir\}'\/lfs\/l1/, 'lowerdir names them there');
  t.match(script, /umount "\$R\/lfs"/, 'and cleanup unmounts it');
});
