// analyze --html on a generated root with layers, duplicates and waste, opened in headless
// Chromium: the charts are drawn with the right number of shapes, the page's script ran, nothing
// went to the console, the page loads nothing from the network, and it embeds the --json report.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { writeFakeRoot } from '../../src/dedup/fake-root.js';
import { duplicateCells } from '../../src/dedup/html-charts.js';
import type { Report } from '../../src/dedup/report.js';
import { chromiumMissing, occurrences, renderPage } from '../helpers/chromium.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-html-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const root = join(work, 'docker');
const layer = (id: string, build: (d: string) => void) => ({ id: id.padEnd(64, '0'), build });
const base = layer('ba5e', (d) => {
  for (const sub of ['bin', 'lib', 'etc']) mkdirSync(join(d, sub));
  writeFileSync(join(d, 'bin', 'sh'), Buffer.alloc(200_000, 1));
  writeFileSync(join(d, 'lib', 'libc.so'), Buffer.alloc(90_000, 2));
  writeFileSync(join(d, 'etc', 'log'), Buffer.alloc(40_000, 3));
});
const app = layer('a99', (d) => {
  mkdirSync(join(d, 'opt'));
  writeFileSync(join(d, 'opt', 'sh'), Buffer.alloc(200_000, 1));
  writeFileSync(join(d, 'opt', 'libc.so'), Buffer.alloc(90_000, 2));
  rmSync(join(d, 'etc', 'log'));
});
const top = layer('f0b', (d) => writeFileSync(join(d, 'bin', 'sh2'), Buffer.alloc(200_000, 1)));
writeFakeRoot(root, 'overlay', [{ tags: ['base:1'], layers: [base] }, { tags: ['app:1'], layers: [base, app, top] }]);

t.test('the page renders its charts in headless Chromium with no console message', { skip: await chromiumMissing() }, async (t) => {
  const html = join(work, 'report.html');
  const json = join(work, 'report.json');
  const r = await execa(bin, ['analyze', root, '--html', html, '--json', json], { reject: false, env: { CI: '' } });
  t.equal(r.exitCode, 0, r.stderr);
  const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
  const text = readFileSync(html, 'utf8');
  t.notMatch(text, /(src|href)=["']?(https?:)?\/\//i, 'nothing loaded from the network');

  const page = await renderPage(html, work, 'dedup');
  // OVLKIT_KEEP_SCREENSHOTS=DIR keeps the picture for a person to look at.
  if (process.env.OVLKIT_KEEP_SCREENSHOTS) copyFileSync(page.png, join(process.env.OVLKIT_KEEP_SCREENSHOTS, 'ovl-dedup-report.png'));
  t.same(page.console, [], 'no console message, no uncaught error');
  t.match(page.dom, /<body data-ready="yes">/, 'the page script ran');
  const layers = report.images.reduce((n, i) => n + i.layers.length, 0);
  t.equal(occurrences(page.dom, '<svg class="stacked"'), report.images.length * 2, 'an inodes and a disk chart per image');
  t.equal(occurrences(page.dom, '<rect class="seg"'), layers * 2 * 2, 'a segment per layer, in both layouts, in both charts');
  t.equal(occurrences(page.dom, '<line class="total"'), report.images.length * 2 * 2, 'a whole-image marker per bar');
  const cells = duplicateCells(report);
  t.ok(cells.length >= 2, `${cells.length} treemap cells`);
  t.equal(occurrences(page.dom, '<rect class="cell"'), cells.length, 'a treemap cell per layer and directory');
  const wasteRows = occurrences(page.dom.slice(page.dom.indexOf('id="waste"')).split('</table>')[0]!, '<tr>') - 1;
  t.equal(wasteRows, 1, 'etc/log, deleted in app:1');
  const embedded = /<script type="application\/json" id="report-json">([\s\S]*?)<\/script>/.exec(page.dom);
  t.same(JSON.parse(embedded![1]!), report, 'the --json report is embedded');
  t.comment(`screenshot: ${page.png}`);
});
