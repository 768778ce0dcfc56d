// report.html of an ovl-check run, written by writeReport into a real report dir and opened in
// headless Chromium: the divergence matrix has a cell per suite × category, the unexpected cells
// link to repro scripts that exist beside the page, nothing goes to the console.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { diffTraces } from '../../src/conformance/diff.js';
import { classify } from '../../src/conformance/divergences.js';
import { renderHtml } from '../../src/conformance/report/html.js';
import { buildModel } from '../../src/conformance/report/model.js';
import { writeReport } from '../../src/conformance/report/write.js';
import type { ScenarioResult, SuiteResult } from '../../src/conformance/session.js';
import type { Trace } from '../../src/conformance/trace.js';
import { chromiumMissing, occurrences, renderPage } from '../helpers/chromium.js';

const stat = { type: 'file', mode: '0644', size: 1, nlink: 1, uid: 0, gid: 0, ino: 'op1', mtime: 1e9, atime: 1e9 };
const trace = (text: string, nlink = 1, mode = '0644'): Trace => ({
  target: 'x',
  skipped: {},
  ops: [{ op: 'read("a")', result: { ok: true, value: { content: { size: 1, sha: text, text } } } }],
  merged: [{ path: '.', stat: { ...stat, type: 'dir', nlink } }, { path: 'a', stat: { ...stat, mode }, content: { size: 1, sha: text, text } }],
  upper: [{ path: '.', stat: { ...stat, type: 'dir' } }],
  lowers: [],
});
const scenario = {
  lowers: [{ entries: [{ path: 'a', kind: 'file' as const, content: 'A', mode: 0o644 }] }],
  upper: { entries: [] },
  ops: [{ op: 'read' as const, path: 'a' }],
};
const rules = [{ id: 'dir-nlink', targets: ['exec:*'], field: 'stat.nlink', type: 'dir', reason: 'r', spec: 'S37' }];
const target = 'exec:swap {lowerdir} {merged}';
const result = (suite: string, index: number, ref: Trace, tgt: Trace): ScenarioResult => {
  const classified = classify(rules, target, diffTraces(ref, tgt));
  const status = classified.length === 0 ? 'pass' : classified.every((c) => c.accepted) ? 'accepted' : 'diverged';
  return { suite, index, status, scenario, classified, reference: ref, target: tgt, ms: 5 };
};
const content = result('basic', 3, trace('A'), trace('B'));
const mode = result('rename', 2, trace('A'), trace('A', 1, '0600'));
const suites: SuiteResult[] = [
  { suite: 'basic', seed: 7, ms: 900, results: [result('basic', 1, trace('A'), trace('A')), result('basic', 2, trace('A'), trace('A', 2)), content],
    counterexamples: [{ original: content, minimal: content, shrinks: 3, shrunk: true, path: '2:0' }] },
  { suite: 'rename', seed: 7, ms: 400, results: [result('rename', 1, trace('A'), trace('A', 3)), mode], counterexamples: [{ original: mode, minimal: mode, shrinks: 1, shrunk: true, path: '1' }] },
  { suite: 'xattr', seed: 7, ms: 100, results: [result('xattr', 1, trace('A'), trace('A'))], counterexamples: [] },
];

t.test('report.html draws the suite × category matrix with links to each repro', { skip: await chromiumMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovl-check-html-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const info = { target, reference: 'kernel', seed: 7, startedAt: '2026-12-01T21:00:00.000Z', ms: 1400, command: `ovl-check run --target '${target}' --seed 7` };
  const model = buildModel(info, suites, `npx ovl-check run --target '${target}'`, dir);
  writeReport(dir, model, suites, 1);
  const html = join(dir, 'report.html');
  t.notMatch(readFileSync(html, 'utf8'), /(src|href)=["']?(https?:)?\/\//i, 'nothing loaded from the network');

  const page = await renderPage(html, dir, 'check');
  t.same(page.console, [], 'no console message, no uncaught error');
  t.match(page.dom, /<body data-ready="yes">/, 'the page script ran');
  const categories = new Set(model.categories.map((c) => c.category));
  t.ok(categories.size >= 3, `${[...categories].join(', ')}`);
  t.equal(occurrences(page.dom, '<rect class="mcell'), suites.length * categories.size, 'a cell per suite × category');
  t.equal(occurrences(page.dom, 'class="mcell unexpected"'), model.categories.filter((c) => !c.accepted).length, 'unexpected cells');
  const links = [...page.dom.matchAll(/<a class="repro" href="([^"]+)"/g)].map((m) => m[1]!);
  t.same(new Set(links), new Set(model.unexpected.map((u) => u.repro)), 'each unexpected cell links to its repro');
  for (const l of links) t.ok(existsSync(join(dir, l)), `${l} exists beside the page`);
  t.equal(occurrences(page.dom.slice(page.dom.indexOf('id="suites"')).split('</table>')[0]!, '<tr>') - 1, suites.length, 'a row per suite');
  // OVLKIT_KEEP_SCREENSHOTS=DIR keeps the picture for a person to look at.
  if (process.env.OVLKIT_KEEP_SCREENSHOTS) copyFileSync(page.png, join(process.env.OVLKIT_KEEP_SCREENSHOTS, 'ovl-check-report.png'));
});

t.test('report.html counts in the words report.md and the terminal use: unexpected, not diverged', async (t) => {
  const info = { target, reference: 'kernel', seed: 7, startedAt: '2026-12-01T21:00:00.000Z', ms: 1400, command: 'c' };
  const model = buildModel(info, suites, `npx ovl-check run --target '${target}'`, '/r');
  const html = renderHtml(model, {});
  t.match(html, new RegExp(`${model.totals.diverged} unexpected\\.`), 'the run line');
  t.notMatch(html, /diverged/, 'no second word for the same count');
});

t.test('a matrix of twenty categories scrolls in its own box; the page stays as wide as the window', { skip: await chromiumMissing() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovl-check-wide-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const info = { target, reference: 'kernel', seed: 7, startedAt: '2026-12-01T21:00:00.000Z', ms: 1400, command: 'c' };
  const model = buildModel(info, suites, `npx ovl-check run --target '${target}'`, dir);
  const wide = { ...model, categories: Array.from({ length: 20 }, (_, i) => ({ suite: 'basic', category: `merged:stat.field${i}`, accepted: i % 2 === 0, count: 1, scenarios: 1 })) };
  // The test page reports its own widths into the DOM, where --dump-dom reads them.
  const probe = `<script>const b = document.querySelector('svg.matrix').parentElement;
document.body.dataset.page = String(document.documentElement.scrollWidth - window.innerWidth);
document.body.dataset.box = String(b.scrollWidth - b.clientWidth);</script></body>`;
  const html = join(dir, 'report.html');
  writeFileSync(html, renderHtml(wide, {}).replace('</body>', probe));
  const page = await renderPage(html, dir, 'wide');
  t.same(page.console, [], 'no console message');
  const attr = (name: string) => Number(new RegExp(`data-${name}="(-?\\d+)"`).exec(page.dom)?.[1]);
  t.ok(attr('page') <= 0, `the page is no wider than the window (${attr('page')} px over)`);
  t.ok(attr('box') > 0, `the matrix box scrolls (${attr('box')} px hidden)`);
  if (process.env.OVLKIT_KEEP_SCREENSHOTS) copyFileSync(page.png, join(process.env.OVLKIT_KEEP_SCREENSHOTS, 'ovl-check-wide.png'));
});
