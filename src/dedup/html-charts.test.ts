// The per-image chart caption counts layers in English: '1 layer', '2 layers'.
import t from 'tap';
import { chainFrom, dir, file, hashesOf, scan } from '../../test/helpers/entries.js';
import { analyse } from './analyse.js';
import { imageCharts } from './html-charts.js';
import type { Discovery, LayerRef, LayerScan } from './types.js';

const base = scan([dir('etc'), file('etc/os', 40, { inode: 'i:os' })], '/data/overlay/aaaa/root');
const top = scan([...chainFrom(base), file('etc/app', 40, { inode: 'i:app' })], '/data/overlay/bbbb/root');
const layer = (cacheId: string, parent: string): LayerRef => ({
  cacheId, chainId: `sha256:${cacheId.padEnd(64, '0')}`, diffId: '', size: 40, role: 'image', dir: `/data/overlay/${cacheId}/root`, parent,
});
const discovery: Discovery = {
  root: '/data',
  stores: [{
    driver: 'overlay', path: '/data/overlay',
    layers: new Map([['aaaa', layer('aaaa', '')], ['bbbb', layer('bbbb', 'aaaa')]]),
    images: [{ names: ['bb:1'], id: `sha256:${'c'.repeat(64)}`, layers: ['aaaa'] }, { names: ['app:1'], id: `sha256:${'d'.repeat(64)}`, layers: ['aaaa', 'bbbb'] }],
    containers: [], orphans: [], linkLimit: 65000,
  }],
  warnings: [],
};
const report = analyse({ discovery, scans: [new Map<string, LayerScan>([['aaaa', base], ['bbbb', top]])], hashes: hashesOf([['i:os', 'aa'], ['i:app', 'bb']]) });

t.test('one layer is "1 layer"', async (t) => {
  const html = imageCharts(report, String, String);
  t.match(html, /<b>bb:1<\/b> — 1 layer:/);
  t.match(html, /<b>app:1<\/b> — 2 layers:/);
});
