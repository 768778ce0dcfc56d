// A data root with two stores, as `migrate --in-place` leaves it (legacy overlay/ kept beside the new
// overlay2/, the same images in both): every image says its store, each store's estimates stand on
// their own instead of being summed, and the waste rows look each image up in its own store.
import t from 'tap';
import { chainFrom, dir, file, hashesOf, scan } from '../../test/helpers/entries.js';
import { analyse } from './analyse.js';
import { renderHtml } from './html.js';
import { renderReport } from './render.js';
import type { Discovery, Driver, LayerRef, LayerScan } from './types.js';

const base = scan([dir('etc'), file('etc/os', 40, { inode: 'i:os' }), file('etc/big', 9_000, { inode: 'i:big' })], '/data/overlay/aaaa/root');
const top = scan([...chainFrom(base).filter((e) => e.path !== 'etc/big'), file('etc/app', 40, { inode: 'i:app' })], '/data/overlay/bbbb/root');
// The overlay2 store has its own cache IDs here, so an image looked up in the wrong store names the wrong layers.
const diffBase = scan([dir('etc'), file('etc/os', 40, { inode: 'j:os' }), file('etc/big', 9_000, { inode: 'j:big' })], '/data/overlay2/cccc/diff');
const diffTop = scan([dir('etc'), file('etc/os', 40, { inode: 'j:os2' }), file('etc/app', 40, { inode: 'j:app' })], '/data/overlay2/dddd/diff');
const layer = (driver: Driver, cacheId: string, parent: string): LayerRef => ({
  cacheId, chainId: `sha256:${cacheId.padEnd(64, '0')}`, diffId: `sha256:${cacheId.padEnd(64, '1')}`, size: 9_080, role: 'image',
  dir: `/data/${driver}/${cacheId}/${driver === 'overlay' ? 'root' : 'diff'}`, parent,
});
const store = (driver: Driver, low: string, high: string) => ({
  driver, path: `/data/${driver}`,
  layers: new Map([[low, layer(driver, low, '')], [high, layer(driver, high, low)]]),
  images: [{ names: ['app:1'], id: `sha256:${'e'.repeat(64)}`, layers: [low, high] }],
  containers: [], orphans: [], linkLimit: 65000,
});
const discovery: Discovery = { root: '/data', stores: [store('overlay', 'aaaa', 'bbbb'), store('overlay2', 'cccc', 'dddd')], warnings: [] };
const scans = [new Map<string, LayerScan>([['aaaa', base], ['bbbb', top]]), new Map<string, LayerScan>([['cccc', diffBase], ['dddd', diffTop]])];
const hashes = hashesOf([['i:os', 'aa'], ['i:big', 'bb'], ['i:app', 'cc'], ['j:os', 'aa'], ['j:big', 'bb'], ['j:app', 'cc'], ['j:os2', 'dd']]);
const report = analyse({ discovery, scans, hashes });
const text = renderReport(report, { width: 100 });

t.test('each image is tagged with its store', async (t) => {
  t.match(text, /^app:1 \(legacy\)\s+eeeeeeeeeeee/m);
  t.match(text, /^app:1 \(overlay2\)\s+eeeeeeeeeeee/m);
  t.match(text, /\/data\/overlay \(legacy, kept by migrate --in-place; remove with --remove-legacy\)/);
  t.same(report.waste.images.map((w) => w.driver), ['overlay', 'overlay2'], 'the JSON waste entries say their store too');
});

t.test('estimates stay per store: no mixed row, no summed savings, no "other layout"', async (t) => {
  t.notMatch(text, /mixed|other layout/);
  t.match(text, /^LEGACY STORE\s/m);
  t.match(text, /^OVERLAY2 STORE\s/m);
  const saved = [...text.matchAll(/overlay2 saves an estimated (-?[\d,]+) inodes/g)].map((m) => m[1]);
  t.same(saved, [String(report.stores[0]!.imageLayers.saved.inodes), String(report.stores[1]!.imageLayers.saved.inodes)], 'one sentence per store, its own number');
  t.match(text, /INODES\s+DISK\s+as overlay2\s+as overlay2/, 'the legacy store is estimated as overlay2');
  t.match(text, /INODES\s+DISK\s+as legacy\s+as legacy/, 'the overlay2 store as legacy chains');
});

t.test('waste rows look each image up in its own store', async (t) => {
  const rows = text.split('\n').filter((l) => l.startsWith('/etc/'));
  // Legacy: etc/big deleted in bbbb; overlay2: etc/os rewritten in dddd. By name alone the overlay2 image resolved
  // to aaaa/bbbb and its row merged into the legacy one.
  t.match(rows.find((l) => l.startsWith('/etc/big')), /app:1 \(legacy\)\s/);
  t.match(rows.find((l) => l.startsWith('/etc/os')), /app:1 \(overlay2\)\s/);
  const html = renderHtml(report);
  t.match(html, /app:1 \(overlay2\)/, 'the HTML waste table tags them too');
});
