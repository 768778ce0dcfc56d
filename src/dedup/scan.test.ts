import * as fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { WarningLog } from './read-meta.js';
import { scanLayer } from './scan.js';
import { faults, layer } from './scan-fixture.js';

t.test('every entry type, sorted, with targets, links and xattrs', async (t) => {
  const d = layer(t);
  const log = new WarningLog();
  const s = scanLayer(d, { log })!;
  t.same(log.list, []);
  t.same(s.entries.map((e) => [e.path, e.type]), [
    ['dir', 'dir'], ['dir/file', 'file'], ['dir/sub', 'dir'], ['fifo', 'fifo'], ['hard', 'file'], ['link', 'symlink'], ['wh', 'char'],
  ]);
  const byPath = new Map(s.entries.map((e) => [e.path, e]));
  t.equal(byPath.get('hard')!.inode, byPath.get('dir/file')!.inode);
  t.equal(byPath.get('hard')!.nlink, 2);
  t.equal(byPath.get('link')!.target, 'dir/file');
  t.same(byPath.get('dir/file')!.xattrs.map(([n, v]) => `${n}=${v}`), ['user.a=1', 'user.b=2'], 'sorted by name');
  t.same(byPath.get('dir')!.xattrs.map(([n]) => n), ['trusted.overlay.opaque']);
  t.equal(byPath.get('fifo')!.perm, 0o600);
  t.equal(typeof byPath.get('fifo')!.mtimeNs, 'bigint');
  t.equal(s.top.path, '');
});

t.test('unreadable entries become warnings and the scan goes on', async (t) => {
  const d = layer(t);
  const { scanLayer: mocked } = await t.mockImport<typeof import('./scan.js')>('./scan.js', faults);
  const log = new WarningLog();
  const s = mocked(d, { log })!;
  t.same(log.list, [
    { path: join(d, 'fifo'), reason: 'cannot stat: EACCES' },
    { path: join(d, 'dir/sub'), reason: 'cannot read directory: EIO' },
  ], 'the top dir is listed before its subdirs');
  t.notOk(s.entries.some((e) => e.path === 'fifo'));
  t.ok(s.entries.some((e) => e.path === 'link'), 'the rest is scanned');
  t.equal(scanLayer(join(d, 'missing'), { log }), null);
  t.match(log.list[2]!.reason, /cannot scan layer: ENOENT/);
});
