// The format codec and the sys door, checked against the real kernel: markers written by
// src/sys + src/format into layers must mean to mount -t overlay what we say they mean.
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  OPAQUE_XWHITEOUTS,
  OPAQUE_YES,
  OverlayXattrs,
  formatRedirect,
  isCharWhiteout,
  parseMountOptions,
  resolveMountOptions,
} from '../../src/format/index.js';
import { getXattr, isMounted, makeWhiteout, mountOverlay, setXattr, umountSurely, withMount } from '../../src/sys/index.js';
import { kernelOptions, layerDirs, mountKernel } from '../helpers/layers.js';

const ls = (p: string) => readdirSync(p).sort();

t.test('a whiteout made by makeWhiteout hides the lower file', async (t) => {
  const d = layerDirs(t, 2);
  writeFileSync(join(d.lowers[0]!, 'a'), 'l1');
  writeFileSync(join(d.lowers[1]!, 'b'), 'l2');
  writeFileSync(join(d.lowers[1]!, 'keep'), 'k');
  makeWhiteout(join(d.upper, 'a'));
  makeWhiteout(join(d.lowers[0]!, 'b'));
  mountKernel(d);
  t.same(ls(d.merged), ['keep']);
  t.throws(() => lstatSync(join(d.merged, 'a')), { code: 'ENOENT' });
  t.throws(() => lstatSync(join(d.merged, 'b')), { code: 'ENOENT' }, 'a whiteout in a lower hides the lowers below');
});

for (const userxattr of [false, true]) {
  t.test(`an opaque dir (${userxattr ? 'user' : 'trusted'}.overlay.opaque=y) hides lower entries`, async (t) => {
    const d = layerDirs(t, 1);
    const x = new OverlayXattrs(userxattr);
    mkdirSync(join(d.lowers[0]!, 'o'));
    writeFileSync(join(d.lowers[0]!, 'o', 'hidden'), '');
    mkdirSync(join(d.lowers[0]!, 'x'));
    writeFileSync(join(d.lowers[0]!, 'x', 'shown'), '');
    mkdirSync(join(d.upper, 'o'));
    writeFileSync(join(d.upper, 'o', 'own'), '');
    setXattr(join(d.upper, 'o'), x.name('opaque'), OPAQUE_YES);
    mkdirSync(join(d.upper, 'x'));
    setXattr(join(d.upper, 'x'), x.name('opaque'), OPAQUE_XWHITEOUTS);
    // The other namespace's marker must be ignored.
    const other = new OverlayXattrs(!userxattr);
    mkdirSync(join(d.lowers[0]!, 'n'));
    writeFileSync(join(d.lowers[0]!, 'n', 'still'), '');
    mkdirSync(join(d.upper, 'n'));
    setXattr(join(d.upper, 'n'), other.name('opaque'), OPAQUE_YES);
    mountKernel(d, { userxattr });
    t.same(ls(join(d.merged, 'o')), ['own']);
    t.same(ls(join(d.merged, 'x')), ['shown'], "opaque=x is not opaque");
    t.same(ls(join(d.merged, 'n')), ['still'], 'the other namespace is not ours');
    t.equal(getXattr(join(d.merged, 'o'), x.name('opaque')), null, 'the marker is hidden through the mount');
  });
}

t.test('a redirect formatted by formatRedirect is followed (redirect_dir default follows)', async (t) => {
  const d = layerDirs(t, 1);
  const x = new OverlayXattrs();
  mkdirSync(join(d.lowers[0]!, 'old'));
  writeFileSync(join(d.lowers[0]!, 'old', 'f'), 'from-lower');
  mkdirSync(join(d.lowers[0]!, 'a'));
  mkdirSync(join(d.lowers[0]!, 'a', 'sub'));
  writeFileSync(join(d.lowers[0]!, 'a', 'sub', 'g'), 'deep');
  makeWhiteout(join(d.upper, 'old'));
  mkdirSync(join(d.upper, 'new'));
  setXattr(join(d.upper, 'new'), x.name('redirect'), formatRedirect(['old'], []));
  mkdirSync(join(d.upper, 'b'));
  mkdirSync(join(d.upper, 'b', 'moved'));
  setXattr(join(d.upper, 'b', 'moved'), x.name('redirect'), formatRedirect(['a', 'sub'], ['b']));
  mountKernel(d);
  t.equal(readFileSync(join(d.merged, 'new', 'f'), 'utf8'), 'from-lower');
  t.equal(readFileSync(join(d.merged, 'b', 'moved', 'g'), 'utf8'), 'deep');
  t.same(ls(d.merged), ['a', 'b', 'new']);
});

t.test('unlink through the kernel leaves what isCharWhiteout recognises', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'x');
  await withMount(kernelOptions(d), d.merged, () => {
    t.ok(isMounted(d.merged));
    return import('node:fs').then((fs) => fs.unlinkSync(join(d.merged, 'f')));
  });
  t.notOk(isMounted(d.merged), 'withMount unmounted');
  t.ok(isCharWhiteout(lstatSync(join(d.upper, 'f'))));
});

t.test('withMount unmounts also when the body throws', async (t) => {
  const d = layerDirs(t, 1);
  await t.rejects(
    withMount(kernelOptions(d), d.merged, () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  t.notOk(isMounted(d.merged));
});

t.test('our option rules accept and refuse exactly what the kernel does', async (t) => {
  const d = layerDirs(t, 2);
  const [l1, l2] = d.lowers as [string, string];
  const U = `upperdir=${d.upper},workdir=${d.work}`;
  const cases = [
    `lowerdir=${l1}:${l2}`,
    `lowerdir=${l1}`,
    `lowerdir=${l1},upperdir=${d.upper}`,
    `lowerdir=${l1},${U}`,
    `lowerdir=${l1},${U},metacopy=on`,
    `lowerdir=${l1},${U},metacopy=on,redirect_dir=off`,
    `lowerdir=${l1},${U},metacopy=on,redirect_dir=nofollow`,
    `lowerdir=${l1}:${l2},metacopy=on,redirect_dir=follow`,
    `lowerdir=${l1},${U},userxattr,metacopy=on`,
    `lowerdir=${l1},${U},userxattr,redirect_dir=on`,
    `lowerdir=${l1},${U},userxattr,redirect_dir=nofollow`,
    `lowerdir=${l1},${U},nfs_export=on,index=off`,
    `lowerdir=${l1},${U},nfs_export=on,metacopy=on`,
    `lowerdir=${l1}::${l2}`,
    `lowerdir=${l1}::${l2},${U}`,
    `lowerdir=${l1},${U},fsync=strict`,
    `lowerdir=${l1},${U},fsync=auto`,
    `lowerdir=${l1},${U},fsync=always`,
    `lowerdir=${l1},${U},fsync`,
    `lowerdir=${l1}:${l2},fsync=volatile`,
    `lowerdir=${l1}:${l2},workdir=${d.work},index=on,volatile`,
    `lowerdir=${l1},${U},ro,uuid=null,xino=on`,
    `lowerdir=${l1},${U},index=on`,
  ];
  for (const opts of cases) {
    let ours: string = 'ok';
    try {
      resolveMountOptions(parseMountOptions(opts));
    } catch (e) {
      ours = (e as Error).message;
    }
    let kernel: string = 'ok';
    try {
      mountOverlay(opts, d.merged);
      await umountSurely(d.merged);
    } catch (e) {
      kernel = (e as Error).message;
    }
    t.equal(ours === 'ok', kernel === 'ok', `${opts.replaceAll(d.root, '')}: ours=${ours} kernel=${kernel}`);
  }
});

t.test('mountOverlay takes 500 absolute lowers (the new mount API has no page limit) and refuses 501', async (t) => {
  const d = layerDirs(t, 501);
  writeFileSync(join(d.lowers[499]!, 'deep'), '500');
  const opts = parseMountOptions(`upperdir=${d.upper},workdir=${d.work}`);
  mountOverlay({ ...opts, lowerdirs: d.lowers.slice(0, 500) }, d.merged);
  t.equal(readFileSync(join(d.merged, 'deep'), 'utf8'), '500');
  await umountSurely(d.merged);
  t.throws(() => mountOverlay({ ...opts, lowerdirs: d.lowers }, d.merged), { code: 'EINVAL' });
  t.notOk(isMounted(d.merged));
});
