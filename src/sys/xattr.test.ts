import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { OvlError } from '../errors.js';
import { getXattr, hasXattr, listXattrs, readXattrs, removeXattr, setXattr } from './xattr.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-xattr-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('set, get, list and remove, trusted.* included (root)', async (t) => {
  const f = join(dir, 'f');
  writeFileSync(f, '');
  t.equal(getXattr(f, 'user.a'), null);
  t.notOk(hasXattr(f, 'user.a'));
  setXattr(f, 'user.a', 'one');
  setXattr(f, 'trusted.overlay.opaque', Buffer.from('y'));
  t.equal(getXattr(f, 'user.a')?.toString(), 'one');
  t.ok(hasXattr(f, 'trusted.overlay.opaque'));
  t.same(listXattrs(f).sort(), ['trusted.overlay.opaque', 'user.a']);
  const big = Buffer.alloc(3000, 'z');
  setXattr(f, 'user.big', big);
  t.same(getXattr(f, 'user.big'), big, 'values larger than the first buffer guess');
  t.equal(readXattrs(f).size, 3);
  removeXattr(f, 'user.a');
  t.equal(getXattr(f, 'user.a'), null);
});

t.test('create/replace modes and errors carry errno and path', async (t) => {
  const f = join(dir, 'g');
  writeFileSync(f, '');
  setXattr(f, 'user.x', '1', 'create');
  t.throws(() => setXattr(f, 'user.x', '2', 'create'), { code: 'EEXIST', path: f });
  t.throws(() => setXattr(f, 'user.y', '2', 'replace'), { code: 'ENODATA' });
  t.throws(() => removeXattr(f, 'user.none'), { code: 'ENODATA' });
  const err = (() => {
    try {
      getXattr(join(dir, 'missing'), 'user.x');
    } catch (e) {
      return e;
    }
  })();
  t.type(err, OvlError);
  t.match(err, { code: 'ENOENT', errno: 2, message: /missing: getxattr user\.x failed: ENOENT/ });
});

t.test('symlinks are not followed', async (t) => {
  const target = join(dir, 't');
  writeFileSync(target, '');
  setXattr(target, 'user.t', 'target');
  const link = join(dir, 'link');
  symlinkSync(target, link);
  t.equal(getXattr(link, 'user.t'), null);
  t.same(listXattrs(link), []);
  t.throws(() => setXattr(link, 'user.t', 'x'), { code: 'EPERM' }, 'user.* xattrs are not allowed on symlinks');
  t.same(listXattrs(join(dir, 't')), ['user.t']);
});

t.test('an open fd works as the path does (f*xattr), even once the name is gone', async (t) => {
  const f = join(dir, 'fd');
  writeFileSync(f, '');
  const fd = openSync(f, 'r+');
  t.teardown(() => closeSync(fd));
  unlinkSync(f);
  t.same(listXattrs(fd), []);
  setXattr(fd, 'user.a', 'one');
  setXattr(fd, 'trusted.overlay.origin', Buffer.alloc(300, 1));
  t.equal(getXattr(fd, 'user.a')?.toString(), 'one');
  t.same(getXattr(fd, 'trusted.overlay.origin'), Buffer.alloc(300, 1), 'values larger than the first buffer guess');
  t.same(listXattrs(fd).sort(), ['trusted.overlay.origin', 'user.a']);
  t.equal(getXattr(fd, 'user.none'), null);
  t.throws(() => setXattr(fd, 'user.a', '2', 'create'), { code: 'EEXIST', path: `fd ${fd}` });
});
