import * as fs from 'node:fs';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import * as sys from '../sys/index.js';
import { mknod, setXattr } from '../sys/index.js';
import { WarningLog } from './read-meta.js';
import { scanLayer } from './scan.js';

const layer = (t: { teardown(fn: () => void): void }) => {
  const d = mkdtempSync(join(tmpdir(), 'ovl-dedup-scan-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  mkdirSync(join(d, 'dir/sub'), { recursive: true });
  writeFileSync(join(d, 'dir/file'), 'hello');
  linkSync(join(d, 'dir/file'), join(d, 'hard'));
  symlinkSync('dir/file', join(d, 'link'));
  mknod(join(d, 'fifo'), 0o010600);
  mknod(join(d, 'wh'), 0o020000, 0);
  setXattr(join(d, 'dir'), 'trusted.overlay.opaque', 'y');
  setXattr(join(d, 'dir/file'), 'user.b', '2');
  setXattr(join(d, 'dir/file'), 'user.a', '1');
  return d;
};

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
  const { scanLayer: mocked } = await t.mockImport<typeof import('./scan.js')>('./scan.js', {
    '../sys/index.js': {
      ...sys,
      lstatAt: (fd: number, name: string, p: string) => {
        if (p.endsWith('/fifo')) throw Object.assign(new Error('denied'), { code: 'EACCES' });
        return sys.lstatAt(fd, name, p);
      },
      rereadDirents: (fd: number, p: string) => {
        if (p.endsWith('/sub')) throw Object.assign(new Error('io'), { code: 'EIO' });
        return sys.rereadDirents(fd, p);
      },
    },
  });
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
