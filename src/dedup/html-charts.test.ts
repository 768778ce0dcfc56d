// The per-image chart caption counts layers in English: '1 layer', '2 layers'.
import t from 'tap';
import { chainFrom, dir, file, hashesOf, scan, twoLayerLegacyRoot } from '../../test/helpers/entries.js';
import { analyse } from './analyse.js';
import { imageCharts } from './html-charts.js';
import type { LayerScan } from './types.js';

const base = scan([dir('etc'), file('etc/os', 40, { inode: 'i:os' })], '/data/overlay/aaaa/root');
const top = scan([...chainFrom(base), file('etc/app', 40, { inode: 'i:app' })], '/data/overlay/bbbb/root');
const discovery = twoLayerLegacyRoot([{ name: 'bb:1', layers: ['aaaa'] }, { name: 'app:1', layers: ['aaaa', 'bbbb'] }]);
const report = analyse({ discovery, scans: [new Map<string, LayerScan>([['aaaa', base], ['bbbb', top]])], hashes: hashesOf([['i:os', 'aa'], ['i:app', 'bb']]) });

t.test('one layer is "1 layer"', async (t) => {
  const html = imageCharts(report, String, String);
  t.match(html, /<b>bb:1<\/b> — 1 layer:/);
  t.match(html, /<b>app:1<\/b> — 2 layers:/);
});
