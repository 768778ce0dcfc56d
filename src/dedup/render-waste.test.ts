// The waste path tables (terminal and HTML) when images share the layers of a path but rank it differently: a row must
// name every image that holds it, and rows go largest first, whichever image listed them.
import t from 'tap';
import { chainFrom, dir, file, hashesOf, scan, twoLayerLegacyRoot } from '../../test/helpers/entries.js';
import { analyse } from './analyse.js';
import { renderHtml } from './html.js';
import { renderReport } from './render.js';
import type { Report, WastePath } from './report.js';
import type { LayerScan } from './types.js';

const base = scan([dir('d'), file('d/a', 40, { inode: 'i:a' })], '/data/overlay/aaaa/root');
const top = scan([...chainFrom(base), file('d/b', 40, { inode: 'i:b' })], '/data/overlay/bbbb/root');
const discovery = twoLayerLegacyRoot([{ name: 'one:1', layers: ['aaaa', 'bbbb'] }, { name: 'two:1', layers: ['aaaa', 'bbbb'] }]);
const analysed = analyse({ discovery, scans: [new Map<string, LayerScan>([['aaaa', base], ['bbbb', top]])], hashes: hashesOf([['i:a', 'aa'], ['i:b', 'bb']]) });

const deleted = (path: string, bytes: number): WastePath =>
  ({ path, layers: [0, 1], totalBytes: bytes, reclaimableBytes: bytes, deleted: true, metadataOnly: false });
// Both images hold the same eleven small deletions; two:1 also one large one, so its top ten ends at f08.
const small = Array.from({ length: 11 }, (_, i) => deleted(`d/f${String(i).padStart(2, '0')}`, 4));
const image = (name: string, paths: WastePath[]) =>
  ({ image: name, driver: 'overlay' as const, wastedBytes: 0, reclaimableBytes: 0, efficiency: 1, metadataOnlyBytes: 0, paths });
const report: Report = { ...analysed, waste: { ...analysed.waste, images: [image('one:1', small), image('two:1', [deleted('d/huge', 900_000), ...small])] } };

t.test('a waste row names every image holding it, largest first', async (t) => {
  const rows = renderReport(report, { width: 100 }).split('\n').filter((l) => l.startsWith('/d/'));
  t.match(rows[0], /^\/d\/huge\s+two:1\s/, 'the largest path leads');
  t.match(rows.find((l) => l.startsWith('/d/f09')), /one:1, two:1/, 'f09 is in two:1 too, though not in its top ten');
  t.equal(rows.length, 11, 'the union of each image\'s top ten, once each');
});

t.test('the HTML waste table also starts with the largest path', async (t) => {
  const html = renderHtml(report, { binary: false });
  const table = html.slice(html.indexOf('id="waste"'));
  t.ok(table.indexOf('/d/huge') > 0 && table.indexOf('/d/huge') < table.indexOf('/d/f00'), '/d/huge before /d/f00');
});
