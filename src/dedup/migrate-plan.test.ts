import t from 'tap';
import { numbered } from '../../test/helpers/entries.js';
import { lowerFile } from './convert-plan.js';
import { planMigration, type PlanInput } from './migrate-plan.js';
import type { Entry, LayerRef, LayerScan, Store } from './types.js';

const entry = (path: string, type: Entry['type'], inode: string, blocks = 8): Entry => numbered({
  path, type, perm: 0o755, uid: 0, gid: 0, size: type === 'file' ? 10 : 4096, blocks, inode, nlink: 1,
  mtimeNs: 1n, atimeNs: 1n, rdev: 0, target: type === 'symlink' ? 'x' : '', xattrs: [],
});
const layer = (cacheId: string, role: LayerRef['role'], parent: string): LayerRef => ({
  cacheId, chainId: role === 'image' ? `sha256:${cacheId}` : '', diffId: '', size: 10, role, dir: `/r/overlay/${cacheId}/${role === 'image' ? 'root' : 'upper'}`, parent,
});
const scan = (dir: string, entries: Entry[]): LayerScan => ({ dir, top: entry('', 'dir', `${dir}:top`), entries });

// L0 has /a (inode 1); L1 keeps /a (same inode: hard-linked by the legacy driver) and adds /b.
const layers = new Map([
  ['L0', layer('L0', 'image', '')],
  ['L1', layer('L1', 'image', 'L0')],
  ['C-init', layer('C-init', 'init', 'L1')],
  ['C', layer('C', 'container', 'C-init')],
]);
const store = {
  driver: 'overlay', path: '/r/overlay', layers, orphans: [], linkLimit: null,
  images: [{ names: ['app:1'], id: 'sha256:aa', layers: ['L0', 'L1'] }],
  containers: [{ id: 'c1', initLayer: 'C-init', rwLayer: 'C', imageTop: 'L1' }],
} as Store;
const scans = new Map([
  ['L0', scan('L0', [entry('a', 'file', 'i1')])],
  ['L1', scan('L1', [entry('a', 'file', 'i1'), entry('b', 'file', 'i2', 16)])],
  ['C-init', scan('C-init', [entry('etc', 'dir', 'i3')])],
  ['C', scan('C', [entry('new', 'file', 'i4', 24)])],
]);
const input = (mode: PlanInput['mode'], sameDevice: boolean): PlanInput => ({
  mode, root: '/r', target: mode === 'out' ? '/n' : '/r', store, scans, layerReports: new Map(), names: new Map([['c1', 'web']]),
  sameDevice, metadata: { inodes: 10, bytes: 40960 },
});

t.test('layers keep their cache IDs; lower chains and committed marks as overlay2 writes them', async (t) => {
  const p = planMigration(input('in-place', true));
  t.same(p.layers.map((l) => [l.id, l.role, l.work, l.committed]), [
    ['L0', 'image', 'diff', true], ['L1', 'image', 'diff', true], ['C-init', 'init', 'move', true], ['C', 'container', 'move', false],
  ]);
  t.same(p.layers.map((l) => l.lower), ['', lowerFile(['L0']), lowerFile(['L0', 'L1']), lowerFile(['L0', 'L1', 'C-init'])]);
  t.same(p.containers, [{ id: 'c1', name: 'web', rwLayer: 'C', initLayer: 'C-init' }]);
});

t.test('cost: linked files are free on one device, copies are not; moved layers cost nothing new', async (t) => {
  const inPlace = planMigration(input('in-place', true));
  t.same(inPlace.linked, { inodes: 2, bytes: (8 + 16) * 512 }, 'i1 in L0, i2 in L1 (i1 is unchanged in L1)');
  t.same(inPlace.moved, { inodes: 4, bytes: (8 + 8 + 24 + 8) * 512 }, 'both container trees, tops included');
  const out = planMigration(input('out', true));
  t.same(out.moved, { inodes: 0, bytes: 0 });
  t.equal(out.newCost.inodes - inPlace.newCost.inodes, 4, 'container layers copied with --out');
  const other = planMigration(input('out', false));
  t.same(other.linked, { inodes: 0, bytes: 0 }, 'another filesystem: nothing can be linked');
});
