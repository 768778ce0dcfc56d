// On-disk compatibility both ways: an upper written through ovl-fuse mounts with the kernel and
// shows the same tree; an upper the kernel wrote (whiteouts, opaque dirs, copy-ups, redirects with
// redirect_dir=on) reads through ovl-fuse exactly as the kernel shows it.
import { appendFileSync, chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, listXattrs, setXattr, umountSurely } from '../../src/sys/index.js';
import { fsUuid } from '../../src/sys/handle.js';
import { isMounted } from '../../src/sys/mount.js';
import { mountTmpfs } from '../../src/sys/tmpfs.js';
import { mountFuse } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs, mountKernel } from '../helpers/layers.js';
import { dumpTree } from '../helpers/tree.js';
import { remountAs } from '../helpers/twin.js';

function lowerTree(d: LayerDirs): void {
  const [l1, l2] = d.lowers as [string, string];
  for (const l of [l1, l2]) {
    mkdirSync(join(l, 'etc'));
    mkdirSync(join(l, 'usr', 'lib'), { recursive: true });
  }
  writeFileSync(join(l1, 'etc', 'passwd'), 'root:x:0:0\n');
  writeFileSync(join(l2, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(l2, 'usr', 'lib', 'libc.so'), Buffer.alloc(100_000, 7));
  writeFileSync(join(l1, 'usr', 'lib', 'gone'), 'x');
  mkdirSync(join(l2, 'var', 'cache'), { recursive: true });
  writeFileSync(join(l2, 'var', 'cache', 'old'), 'old');
  mkdirSync(join(l2, 'mv', 'sub'), { recursive: true });
  writeFileSync(join(l2, 'mv', 'sub', 'f'), 'f');
  writeFileSync(join(l1, 'hl1'), 'hard');
  linkSync(join(l1, 'hl1'), join(l1, 'hl2'));
  symlinkSync('etc/passwd', join(l1, 'pw'));
  setXattr(join(l2, 'etc', 'hosts'), 'user.tag', 'lower');
}

/** A container-build-like workload through the mount. */
function workload(m: string): void {
  appendFileSync(join(m, 'etc', 'passwd'), 'user:x:1000:1000\n');
  writeFileSync(join(m, 'etc', 'new.conf'), 'new');
  chmodSync(join(m, 'etc', 'hosts'), 0o600);
  chownSync(join(m, 'usr', 'lib', 'libc.so'), 10, 20);
  unlinkSync(join(m, 'usr', 'lib', 'gone'));
  rmSync(join(m, 'var', 'cache'), { recursive: true });
  mkdirSync(join(m, 'var', 'cache'));
  writeFileSync(join(m, 'var', 'cache', 'fresh'), 'fresh');
  renameSync(join(m, 'etc', 'new.conf'), join(m, 'etc', 'renamed.conf'));
  renameSync(join(m, 'hl1'), join(m, 'hl1-moved'));
  appendFileSync(join(m, 'hl2'), '+');
  symlinkSync('/usr/lib/libc.so', join(m, 'usr', 'lib', 'libc.link'));
  linkSync(join(m, 'etc', 'passwd'), join(m, 'etc', 'passwd.hard'));
  execFileSync('mkfifo', [join(m, 'fifo')]);
  setXattr(join(m, 'etc', 'passwd'), 'user.note', 'v');
  truncateSync(join(m, 'etc', 'hosts'), 5);
  execFileSync('touch', ['-m', '-d', '2001-02-03 04:05:06.123456789', join(m, 'etc', 'renamed.conf')]);
}

const full = { mtime: true, nlink: true };

t.test('ovl-fuse writes, the kernel mounts the same dirs and sees the same tree', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-compat-');
  lowerTree(d);
  await mountFuse(t, d);
  workload(d.merged);
  const viaFuse = dumpTree(d.merged, full);
  await remountAs(t, 'kernel', d);
  t.same(dumpTree(d.merged, full), viaFuse);
});

t.test('the kernel writes, ovl-fuse shows the same tree (inode numbers included)', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-compat-');
  lowerTree(d);
  mountKernel(d);
  workload(d.merged);
  const viaKernel = dumpTree(d.merged, { ...full, ino: true });
  await remountAs(t, 'fuse', d);
  t.same(dumpTree(d.merged, { ...full, ino: true }), viaKernel);
});

t.test('redirect_dir=on: dir renames round-trip between the kernel and ovl-fuse', async (t) => {
  for (const writer of ['kernel', 'fuse'] as const) {
    await t.test(`${writer} renames`, async (t) => {
      const d = layerDirs(t, 2, 'ovlkit-redirect-');
      lowerTree(d);
      if (writer === 'kernel') mountKernel(d, { redirectDir: 'on' });
      else await mountFuse(t, d, 'redirect_dir=on');
      renameSync(join(d.merged, 'mv'), join(d.merged, 'mv2'));
      renameSync(join(d.merged, 'mv2', 'sub'), join(d.merged, 'etc', 'sub'));
      renameSync(join(d.merged, 'usr'), join(d.merged, 'usr2'));
      writeFileSync(join(d.merged, 'etc', 'sub', 'added'), 'a');
      const before = dumpTree(d.merged, full);
      await remountAs(t, writer === 'kernel' ? 'fuse' : 'kernel', d, 'redirect_dir=on');
      t.same(dumpTree(d.merged, full), before);
      await umountSurely(d.merged);
    });
  }
});

t.test('userxattr: ovl-fuse keeps its markers in user.overlay.* and the kernel reads them', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-userxattr-');
  lowerTree(d);
  await mountFuse(t, d, 'userxattr');
  rmSync(join(d.merged, 'var', 'cache'), { recursive: true });
  mkdirSync(join(d.merged, 'var', 'cache'));
  appendFileSync(join(d.merged, 'etc', 'passwd'), 'x');
  setXattr(join(d.merged, 'etc', 'passwd'), 'user.overlay.mine', 'v');
  const viaFuse = dumpTree(d.merged, full);
  await remountAs(t, 'kernel', d, 'userxattr');
  t.same(dumpTree(d.merged, full), viaFuse);
  await umountSurely(d.merged);
  t.equal(getXattr(join(d.upper, 'var', 'cache'), 'user.overlay.opaque')?.toString(), 'y');
  t.equal(getXattr(join(d.upper, 'etc', 'passwd'), 'user.overlay.overlay.mine')?.toString(), 'v');
  t.same(listXattrs(join(d.upper, 'etc', 'passwd')).filter((n) => n.startsWith('trusted.')), []);
});

// A merged dir's upper gets an `origin` xattr at its first lookup (ovl_fix_origin, both
// implementations). Made opaque while unmounted, it has no lower copy any more: the kernel then
// shows the upper dir's own inode (it decodes origin for non-dirs only and finds a dir's lowers by
// path); ovl-fuse showed the origin's (ovl-check lower-mutation, seed 281).
for (const target of ['kernel', 'fuse'] as const) {
  t.test(`an upper dir with origin made opaque shows its own inode (${target})`, async (t) => {
    const d = layerDirs(t, 1, 'ovlkit-compat-');
    mkdirSync(join(d.lowers[0]!, 'b'));
    mkdirSync(join(d.upper, 'b'));
    if (target === 'kernel') mountKernel(d);
    else await mountFuse(t, d);
    const merged = lstatSync(join(d.merged, 'b')).ino;
    t.equal(merged, lstatSync(join(d.lowers[0]!, 'b')).ino, 'merged: the lower dir\'s inode');
    t.ok(getXattr(join(d.upper, 'b'), 'trusted.overlay.origin'), 'origin written at lookup');
    await umountSurely(d.merged);
    setXattr(join(d.upper, 'b'), 'trusted.overlay.opaque', 'y');
    await remountAs(t, target, d);
    t.equal(lstatSync(join(d.merged, 'b')).ino, lstatSync(join(d.upper, 'b')).ino, 'opaque: its own inode');
  });
}

// The kernel writes the lower filesystem's uuid into each origin handle and decodes an origin only
// where that uuid is the layer's (ovl_encode_real_fh, ovl_decode_real_fh). tmpfs has one (so has
// an ext4 or xfs made with one); ovl-fuse wrote zeros, and the kernel then could not follow what
// ovl-fuse had copied up: the file showed its upper inode after the switch.
t.test('tmpfs layers: a file ovl-fuse copied up keeps its inode number when the kernel mounts the same dirs', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-compat-uuid-'));
  mountTmpfs(root, '16m');
  const d: LayerDirs = {
    root,
    lowers: [join(root, 'l1')],
    upper: join(root, 'upper'),
    work: join(root, 'work'),
    merged: join(root, 'merged'),
    track: () => {},
  };
  t.teardown(async () => {
    if (isMounted(d.merged)) await umountSurely(d.merged);
    await umountSurely(root);
    rmSync(root, { recursive: true, force: true });
  });
  for (const dir of [...d.lowers, d.upper, d.work, d.merged]) mkdirSync(dir);
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  const lowerIno = lstatSync(join(d.lowers[0]!, 'f')).ino;
  const uuid = fsUuid(root);
  t.not(uuid.toString('hex'), '0'.repeat(32), 'this tmpfs has a uuid (Linux 6.8+)');
  await mountFuse(t, d);
  appendFileSync(join(d.merged, 'f'), '+');
  t.equal(lstatSync(join(d.merged, 'f')).ino, lowerIno);
  t.same(getXattr(join(d.upper, 'f'), 'trusted.overlay.origin')!.subarray(5, 21), uuid, 'the origin carries the lower filesystem\'s uuid');
  await remountAs(t, 'kernel', d);
  t.equal(lstatSync(join(d.merged, 'f')).ino, lowerIno, 'the kernel follows the origin');
});
