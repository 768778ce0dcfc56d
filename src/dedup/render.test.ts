// Snapshots of the human output, so a change to the tables is a deliberate one
// (regenerate with `npx tap --snapshot src/dedup/render.test.ts`).
import t from 'tap';
import { chainFrom, dir, file, hashesOf, scan } from '../../test/helpers/entries.js';
import { analyse } from './analyse.js';
import { renderConvert } from './convert-cmd.js';
import { renderCi, renderReport } from './render.js';
import type { Discovery, LayerRef, LayerScan } from './types.js';

const base = scan([dir('bin'), file('bin/sh', 120_000, { inode: 'i:sh', nlink: 2 }), dir('etc'), file('etc/os', 40, { inode: 'i:os' })], '/data/overlay/aaaa/root');
const childEntries = chainFrom(base).filter((e) => e.path !== 'etc/os');
const top = scan([...childEntries, file('etc/app.conf', 40, { inode: 'i:conf' }), file('bin/sh-copy', 120_000, { inode: 'i:copy' })], '/data/overlay/bbbb/root');
const layer = (cacheId: string, parent: string, size: number): LayerRef => ({
  cacheId, chainId: `sha256:${cacheId.padEnd(64, '0')}`, diffId: '', size, role: 'image', dir: `/data/overlay/${cacheId}/root`, parent,
});
const discovery: Discovery = {
  root: '/data',
  stores: [{
    driver: 'overlay', path: '/data/overlay',
    layers: new Map([['aaaa', layer('aaaa', '', 120_040)], ['bbbb', layer('bbbb', 'aaaa', 120_040)]]),
    images: [{ names: ['app:1'], id: `sha256:${'c'.repeat(64)}`, layers: ['aaaa', 'bbbb'] }, { names: ['base:1'], id: `sha256:${'d'.repeat(64)}`, layers: ['aaaa'] }],
    containers: [], orphans: [], linkLimit: 65000,
  }],
  warnings: [{ path: '/data/overlay/l/XYZ', reason: 'dangling short link to ../gone/diff' }],
};
const scans = [new Map<string, LayerScan>([['aaaa', base], ['bbbb', top]])];
const report = analyse({ discovery, scans, hashes: hashesOf([['i:sh', '00ff00ff00ff00ff'], ['i:copy', '00ff00ff00ff00ff'], ['i:os', 'aa'], ['i:conf', 'bb']]) });

t.test('analyze tables', async (t) => {
  t.equal(report.duplicates.groups.length, 1, 'sh-copy duplicates sh');
  t.equal(report.imageLayers.inodes, 2 + 2 + 2 + 2 + 2, 'tops, bins, etcs, sh, os + conf + copy');
  t.matchSnapshot(renderReport(report));
});

t.test('CI verdicts and convert summary', async (t) => {
  t.matchSnapshot(renderCi([
    { rule: 'max-wasted-bytes', limit: '1MB', actual: '2MB', pass: false },
    { rule: 'min-efficiency', limit: '0.9', actual: '0.9500', pass: true },
  ]));
  const counts = { entries: 9, inodes: 11, regularBytes: 240_080, diskBytes: 282_624, maxLinks: 2 };
  t.matchSnapshot(renderConvert({
    result: { out: '/out', written: ['aaaa'], reused: ['bbbb'], estimate: counts, measured: counts,
      legacy: { ...counts, inodes: 15, diskBytes: 300_000 }, saved: { inodes: 4, bytes: 17_376, percent: 5.79, inodesPercent: 26.67 },
      images: [{ name: 'app:1', id: `sha256:${'c'.repeat(64)}`, lowers: ['/out/bbbb/diff', '/out/aaaa/diff'], lowerdir: 'lowerdir=/out/bbbb/diff:/out/aaaa/diff', legacyRoot: '/data/overlay/bbbb/root' }] },
    verified: [
      { image: 'app:1', identical: true, compared: 8, differences: [] },
      { image: 'base:1', identical: false, compared: 5, differences: [{ path: '/etc/os', what: 'content differs' }] },
    ],
  }));
});
