// Mount points inside layers: how real paths are placed in their layer and mapped beneath a
// mount point. The mounts themselves (tmpfs inside a lower, the overlay's own mount point in a
// lower) are exercised next to the kernel in test/fuse/mounts-in-layers.test.ts.
import { closeSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { lstatReal, mountTmpfs, umountSurely } from '../sys/index.js';
import { holdDirs } from '../sys/hold-dir.js';
import type { Layer, LayerStack } from './layers.js';
import { beneathMount, isMountRoot, pathInLayer, placeLayers, throughMounts } from './submounts.js';

const layer = (root: string, upper = false): Layer => ({ index: 0, root, upper, mounts: [], clone: null, via: null, covered: null });

t.test('a real path is placed in its layer by the root or by the clone', async (t) => {
  const l = layer('/data/l');
  t.equal(pathInLayer(l, '/data/l'), '');
  t.equal(pathInLayer(l, '/data/l/a/b'), '/a/b');
  t.equal(pathInLayer(l, '/data/lx/a'), null, 'a sibling sharing the prefix is not in it');
  t.equal(pathInLayer(l, '/elsewhere'), null);
  l.clone = '/proc/self/fd/9';
  t.equal(pathInLayer(l, '/proc/self/fd/9/a'), '/a');
  const root = layer('/');
  t.equal(pathInLayer(root, '//tmp/x'), '/tmp/x', "a root of '/' names its entries '//a'");
});

t.test('paths at or below a mount point go through the clone, others stay', async (t) => {
  const l = layer('/u', true);
  t.equal(throughMounts(l, '/u/m/x'), '/u/m/x', 'no mount points: unchanged');
  l.mounts.push('/m');
  l.clone = '/proc/self/fd/7';
  t.equal(throughMounts(l, '/u/m'), '/proc/self/fd/7/m');
  t.equal(throughMounts(l, '/u/m/x/y'), '/proc/self/fd/7/m/x/y');
  t.equal(throughMounts(l, '/u/mm/x'), '/u/mm/x', 'a name sharing the prefix is not below it');
  t.equal(throughMounts(l, '/u/a'), '/u/a');
  t.equal(throughMounts(l, '/proc/self/fd/7/m/x'), '/proc/self/fd/7/m/x', 'already beneath');
});

t.test('every lower is reached through a guarded clone of its root, which holds no mount inside it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-submounts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [a, b] = [join(dir, 'a'), join(dir, 'b')];
  mkdirSync(join(a, 'in', 'mnt'), { recursive: true });
  mkdirSync(b);
  const lowers = [layer(a), layer(b)];
  const stack: LayerStack = { all: lowers, upper: null, lowers, data: [], work: null };
  // The overlay's own mount point inside a lower: the clone holds none of the layer's mounts.
  placeLayers(stack, join(a, 'in', 'mnt'));
  for (const l of lowers) t.match(l.via, /^\/proc\/self\/fd\/\d+\/\.$/, `${l.root}: a clone of its root`);
  t.same(lowers[0]!.mounts, [], 'nothing to register: the mount point is a plain dir there');
  t.equal(pathInLayer(lowers[0]!, `${lowers[0]!.via}/in/mnt`), '/in/mnt');
});

// A layer dir replaced by a symlink while mounted must not lead the daemon's syscalls (run as
// root) out of the layer: a privilege review read a root-only file and made one in a root-owned
// dir that way. Through the clone (MOUNT_ATTR_NOSYMFOLLOW) a symlink on the way is ELOOP, while
// the symlink itself still stats and reads as one.
/** Layer dir `a` whose `pub` is a symlink to `outside`, which holds `secret`. */
function layerWithWayOut(t: Test): { a: string; outside: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-submounts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const [a, outside] = [join(dir, 'a'), join(dir, 'outside')];
  mkdirSync(a);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 's');
  symlinkSync(outside, join(a, 'pub'));
  return { a, outside };
}

t.test('no walk through a layer\'s clone follows a symlink', async (t) => {
  const { a, outside } = layerWithWayOut(t);
  const lowers = [layer(a)];
  placeLayers({ all: lowers, upper: null, lowers, data: [], work: null }, undefined);
  const via = lowers[0]!.via!;
  t.ok(lstatReal(join(a, 'pub', 'secret')), 'the plain path leads out of the layer');
  t.throws(() => lstatReal(`${via}/pub/secret`), { code: 'ELOOP' }, 'through the clone: ELOOP');
  t.ok(lstatReal(`${via}/pub`).mode, 'the symlink itself stats');
  t.equal(readlinkSync(`${via}/pub`), outside, 'and reads');
});

// The same for a lower the overlay's own mount covers (`lowerdir=/etc … /etc`): it is reached
// from the fd held on it before the mount, and until 2026-12-07 evening through that fd itself,
// where a symlink on the way was followed. Here a tmpfs stands in for the overlay's mount.
t.test('a covered lower is reached through a guarded clone made from its held fd', async (t) => {
  const { a } = layerWithWayOut(t);
  writeFileSync(join(a, 'beneath'), 'b');
  const held = holdDirs([a]);
  t.teardown(() => closeSync(held[a]!));
  mountTmpfs(a, '1m');
  t.teardown(() => umountSurely(a));
  const lowers = [layer(a)];
  placeLayers({ all: lowers, upper: null, lowers, data: [], work: null }, a, held);
  const l = lowers[0]!;
  t.equal(l.covered, `/proc/self/fd/${held[a]}/.`, 'the held fd stays for the watcher');
  t.not(l.via, l.covered, 'the daemon goes through a clone');
  t.match(l.via, /^\/proc\/self\/fd\/\d+\/\.$/);
  t.equal(readFileSync(`${l.via}/beneath`, 'utf8'), 'b', 'the clone shows the dir beneath the mount');
  t.throws(() => lstatReal(`${l.via}/pub/secret`), { code: 'ELOOP' }, 'through the clone: ELOOP');
  t.ok(lstatReal(`${l.covered}/pub/secret`), 'where the held fd alone leads out');
  t.equal(pathInLayer(l, `${l.via}/pub`), '/pub');
});

t.test('an upper with a mount point inside is reached wholly through one clone, with its work dir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-submounts-'));
  const [u, w] = [join(dir, 'u'), join(dir, 'w')];
  mkdirSync(join(u, 'sub'), { recursive: true });
  mkdirSync(join(w, 'work'), { recursive: true });
  writeFileSync(join(u, 'sub', 'under'), '');
  const plain = (): LayerStack => {
    const upper = layer(u, true);
    return { all: [upper], upper, lowers: [], data: [], work: join(w, 'work') };
  };
  const none = plain();
  placeLayers(none, undefined);
  t.match(none.upper!.via, /^\/proc\/self\/fd\/\d+\//, 'no mount point inside: a clone all the same (the symlink guard)');
  t.ok(none.work!.startsWith(none.upper!.via!.slice(0, none.upper!.via!.indexOf('/', '/proc/self/fd/'.length)) + '/'), 'the work dir through the same clone');
  mountTmpfs(join(u, 'sub'), '1m');
  t.teardown(async () => {
    await umountSurely(join(u, 'sub'));
    rmSync(dir, { recursive: true, force: true });
  });
  const s = plain();
  placeLayers(s, undefined);
  t.match(s.upper!.via, /^\/proc\/self\/fd\/\d+\//);
  const clone = s.upper!.via!.slice(0, s.upper!.via!.indexOf('/', '/proc/self/fd/'.length));
  t.ok(s.work!.startsWith(clone + '/'), 'the work dir through the same clone');
  t.ok(lstatReal(`${s.upper!.via}/sub/under`), 'beneath the mount');
  t.ok(lstatReal(s.work!), 'the work dir is there');
  t.equal(pathInLayer(s.upper!, `${s.upper!.via}/sub/under`), '/sub/under');
  t.equal(beneathMount(s.upper!, join(u, 'sub')), null, 'the upper never switches later');
  const own = plain();
  placeLayers(own, join(w, 'work', 'm'));
  t.not(own.upper!.via, null, 'the overlay mount point inside the work dir counts too');
});

t.test('a tmpfs on a dir inside a layer is found by its stat and read beneath', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-submounts-'));
  const sub = join(dir, 'sub');
  mkdirSync(sub);
  writeFileSync(join(sub, 'under'), '');
  mountTmpfs(sub, '1m');
  t.teardown(async () => {
    await umountSurely(sub);
    rmSync(dir, { recursive: true, force: true });
  });
  const l = layer(dir);
  t.notOk(isMountRoot(lstatReal(dir)), 'a plain dir is no mount root');
  t.ok(isMountRoot(lstatReal(sub)));
  t.equal(beneathMount(l, dir), null, 'the layer root itself is not beneath anything');
  t.equal(beneathMount(l, '/elsewhere/x'), null);
  const beneath = beneathMount(l, sub);
  t.equal(beneath, `${l.clone}/sub`);
  t.notOk(isMountRoot(lstatReal(beneath!)), 'beneath, the dir is a plain dir');
  t.ok(lstatReal(`${beneath}/under`), 'holding what the mount covers');
  t.same(l.mounts, ['/sub']);
  t.equal(beneathMount(l, sub), beneath, 'met again: the same clone, recorded once');
  t.same(l.mounts, ['/sub']);
});
