// `-o aufs_whiteouts` (src/fuse/tar-whiteouts.ts): the layer-tar whiteouts Docker's
// fuse-overlayfs storage driver unpacks image layers with, side by side with fuse-overlayfs
// itself, the program that driver runs and the reference for this format (the kernel does not
// read it). Without the option ovl-fuse stays the kernel's: such a marker is a plain file.
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { escapePath } from '../../src/format/index.js';
import { fuseOptions, startFuse } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs, mountKernel } from '../helpers/layers.js';
import { dumpTree, outcome } from '../helpers/tree.js';
import { becomes } from '../helpers/watch-stack.js';

/**
 * Three lowers as Docker unpacks an image: l3 the base; l2 deletes etc/motd and usr/share/doc by
 * marker, replaces var/lib/thing and o whole (opaque markers), adds files; l1 deletes etc/keep,
 * and holds etc/both beside its own `.wh.both`.
 */
function populate(d: LayerDirs): void {
  const [l1, l2, l3] = d.lowers as [string, string, string];
  const files: Array<[string, string, string]> = [
    [l3, 'etc/motd', 'motd'], [l3, 'etc/keep', 'keep'], [l3, 'var/lib/thing/a', 'a'], [l3, 'var/lib/thing/b', 'b'],
    [l3, 'usr/share/doc/x', 'x'], [l3, 'o/old', 'old'], [l3, 'o/sub/deep', 'deep'],
    [l2, 'etc/.wh.motd', ''], [l2, 'var/lib/thing/.wh..wh..opq', ''], [l2, 'var/lib/thing/c', 'c'],
    [l2, 'usr/share/.wh.doc', ''], [l2, 'o/.wh..wh..opq', ''], [l2, 'o/new', 'new'],
    [l1, 'etc/motd2', 'again'], [l1, 'etc/.wh.keep', ''], [l1, 'etc/both', 'both'], [l1, 'etc/.wh.both', ''],
  ];
  for (const [layer, rel, data] of files) {
    mkdirSync(join(layer, rel, '..'), { recursive: true });
    writeFileSync(join(layer, rel), data);
  }
}

/** One stack twice, ovl-fuse with the option and fuse-overlayfs, from `fill(lowers, upper)`. */
async function pairOf(tt: Parameters<typeof layerDirs>[0], n: number, fill: (d: LayerDirs) => void): Promise<{ ovl: LayerDirs; fo: LayerDirs }> {
  const ovl = layerDirs(tt, n, 'ovl-aufs-');
  const fo = layerDirs(tt, n, 'ovl-aufs-fo-');
  fill(ovl);
  fill(fo);
  await startFuse(tt, fuseOptions(ovl, 'aufs_whiteouts'), ovl.merged);
  const opts = `lowerdir=${fo.lowers.map(escapePath).join(':')},upperdir=${escapePath(fo.upper)},workdir=${escapePath(fo.work)}`;
  execFileSync('fuse-overlayfs', ['-o', opts, fo.merged], { stdio: 'ignore' });
  return { ovl, fo };
}

/** The same stack twice: ovl-fuse with the option, and fuse-overlayfs. */
const pair = (tt: Parameters<typeof layerDirs>[0]) => pairOf(tt, 3, populate);

/** Names, types, sizes and contents as a reader sees them (fuse-overlayfs's dir link counts differ: left out). */
const picture = (m: string) => dumpTree(m);

t.test('a stack of tar whiteouts reads as fuse-overlayfs reads it', async (t) => {
  const { ovl, fo } = await pair(t);
  t.same(picture(ovl.merged), picture(fo.merged));
  t.same(readdirSync(join(ovl.merged, 'etc')).sort(), ['motd2'], 'motd, keep and both whited out; no marker shown');
  t.same(readdirSync(join(ovl.merged, 'var/lib/thing')), ['c'], 'the opaque marker hides a and b');
  t.same(readdirSync(join(ovl.merged, 'o')), ['new'], 'and o/old, o/sub');
  for (const m of [ovl.merged, fo.merged]) t.equal(outcome(() => readFileSync(join(m, 'etc/.wh.motd'))), 'ENOENT', `a marker is not looked up (${m === fo.merged ? 'fuse-overlayfs' : 'ovl-fuse'})`);
});

t.test('changes through the mount: the same tree on both, and in ovl-fuse\'s upper the kernel\'s whiteouts', async (t) => {
  const { ovl, fo } = await pair(t);
  const steps = (m: string) => [
    outcome(() => writeFileSync(join(m, 'etc/motd'), 'hello')),
    outcome(() => readFileSync(join(m, 'etc/motd'), 'utf8')),
    outcome(() => rmdirSync(join(m, 'usr/share'))),
    outcome(() => mkdirSync(join(m, 'usr/share/doc'), { recursive: true })),
    outcome(() => readdirSync(join(m, 'usr/share/doc'))),
    outcome(() => symlinkSync('t', join(m, 'var/lib/thing/a'))),
    outcome(() => unlinkSync(join(m, 'var/lib/thing/c'))),
    outcome(() => renameSync(join(m, 'etc/motd2'), join(m, 'etc/motd3'))),
    outcome(() => rmSync(join(m, 'o'), { recursive: true })),
    outcome(() => writeFileSync(join(m, '.wh.x'), 'x')),
  ];
  const done = steps(ovl.merged);
  t.same(done, steps(fo.merged));
  t.equal(done.at(-1), 'EINVAL', 'a marker name is not made');
  t.same(picture(ovl.merged), picture(fo.merged));
  // ovl-fuse's upper as the kernel writes one: char 0/0 whiteouts, no `.wh.` files.
  const upperNames = execFileSync('find', [ovl.upper, '-printf', '%P %y\n'], { encoding: 'utf8' });
  t.notMatch(upperNames, /\.wh\./, 'no layer-tar marker written');
  t.match(upperNames, /^var\/lib\/thing\/c c$/m, 'c deleted by a kernel whiteout');
});

t.test('every new marker name is refused, also where fuse-overlayfs makes one (mkdir, rename, link, symlink)', async (t) => {
  const { ovl } = await pair(t);
  const m = ovl.merged;
  // fuse-overlayfs 1.10 refuses a created file but makes the dir, the rename, the link and the
  // symlink, which it then lists: a name that also whites out another below. ovl-fuse refuses all.
  t.equal(outcome(() => mkdirSync(join(m, 'etc/.wh.d'))), 'EINVAL');
  t.equal(outcome(() => renameSync(join(m, 'etc/motd2'), join(m, 'etc/.wh.m'))), 'EINVAL');
  t.equal(outcome(() => symlinkSync('x', join(m, '.wh.s'))), 'EINVAL');
  t.equal(outcome(() => linkSync(join(m, 'etc/motd2'), join(m, 'etc/.wh.l'))), 'EINVAL');
  t.same(readdirSync(join(m, 'etc')), ['motd2'], 'nothing made');
});

t.test('without the option the markers are plain files, as on the kernel\'s overlay', async (t) => {
  const k = layerDirs(t, 3, 'ovl-aufs-k-');
  const f = layerDirs(t, 3, 'ovl-aufs-f-');
  populate(k);
  populate(f);
  mountKernel(k);
  await startFuse(t, fuseOptions(f), f.merged);
  t.same(dumpTree(f.merged), dumpTree(k.merged));
  t.same(readdirSync(join(f.merged, 'etc')).sort(), ['.wh.both', '.wh.keep', '.wh.motd', 'both', 'keep', 'motd', 'motd2']);
});

t.test('the layer watcher: a marker made or removed in a layer while mounted shows within an event round', async (t) => {
  const ovl = layerDirs(t, 3, 'ovl-aufs-w-');
  populate(ovl);
  await startFuse(t, fuseOptions(ovl, 'aufs_whiteouts'), ovl.merged);
  const m = ovl.merged;
  const [, l2, l3] = ovl.lowers as [string, string, string];
  // A marker acts on the layers below its own: l2's on l3's names. srv is in l3 with a file and
  // in l2 empty.
  mkdirSync(join(l3, 'srv'));
  writeFileSync(join(l3, 'srv/f'), 'f');
  mkdirSync(join(l2, 'srv'));
  t.ok(await becomes(() => readdirSync(join(m, 'srv')).includes('f')), 'srv/f shows');
  writeFileSync(join(l2, 'srv/.wh..wh..opq'), '');
  t.ok(await becomes(() => readdirSync(join(m, 'srv')).length === 0), 'srv made opaque in l2: f (from l3) gone');
  writeFileSync(join(l3, 'etc/keep2'), 'k2');
  t.ok(await becomes(() => outcome(() => readFileSync(join(m, 'etc/keep2'))) === 'ok'), 'a new name below shows');
  writeFileSync(join(l2, 'etc/.wh.keep2'), '');
  t.ok(await becomes(() => outcome(() => readFileSync(join(m, 'etc/keep2'))) === 'ENOENT'), 'its marker made above it: gone');
  unlinkSync(join(l2, 'etc/.wh.keep2'));
  t.ok(await becomes(() => outcome(() => readFileSync(join(m, 'etc/keep2'))) === 'ok'), 'the marker removed: back');
  unlinkSync(join(l2, 'srv/.wh..wh..opq'));
  t.ok(await becomes(() => readdirSync(join(m, 'srv')).includes('f')), 'the opaque marker removed: f back');
});

t.test('every layer is asked for a name: a layer with only its marker ends the lookup (no lower index)', async (t) => {
  const ovl = layerDirs(t, 3, 'ovl-aufs-i-');
  populate(ovl);
  await startFuse(t, fuseOptions(ovl, 'aufs_whiteouts'), ovl.merged);
  // Names etc holds in no layer, enough for the lower index to read etc's lower copies (it would
  // then ask l3 alone for motd, whose marker is in l2).
  for (let i = 0; i < 20; i++) t.equal(outcome(() => readFileSync(join(ovl.merged, `etc/missing${i}`))), 'ENOENT');
  t.equal(outcome(() => readFileSync(join(ovl.merged, 'etc/motd'))), 'ENOENT');
  t.equal(outcome(() => readFileSync(join(ovl.merged, 'etc/keep'))), 'ENOENT');
});

// Found by a review the same day: markers in the upper (an upper fuse-overlayfs wrote where it
// could not mknod), and at a layer root.
t.test('markers in the upper: a name made or moved there shows; a dir holding only markers is empty', async (t) => {
  const { ovl, fo } = await pairOf(t, 1, (d) => {
    const l = d.lowers[0]!;
    for (const f of ['foo', 'bar', 'baz', 'dd/a']) {
      mkdirSync(join(l, f, '..'), { recursive: true });
      writeFileSync(join(l, f), f);
    }
    for (const f of ['.wh.foo', '.wh.baz', '.wh.dd', 'e/.wh.y', 'g/.wh.z']) {
      mkdirSync(join(d.upper, f, '..'), { recursive: true });
      writeFileSync(join(d.upper, f), '');
    }
    writeFileSync(join(d.upper, 'src'), 'src');
  });
  const steps = (m: string) => ({
    hidden: [outcome(() => readFileSync(join(m, 'foo'))), outcome(() => readFileSync(join(m, 'baz')))],
    create: outcome(() => writeFileSync(join(m, 'foo'), 'new')),
    created: outcome(() => readFileSync(join(m, 'foo'), 'utf8')),
    rename: outcome(() => renameSync(join(m, 'bar'), join(m, 'baz'))),
    renamed: [outcome(() => readFileSync(join(m, 'baz'), 'utf8')), outcome(() => readFileSync(join(m, 'bar')))],
    listE: readdirSync(join(m, 'e')),
    rmdir: outcome(() => rmdirSync(join(m, 'e'))),
    renameOver: outcome(() => renameSync(join(m, 'src'), join(m, 'g'))),
    // A dir made where an upper marker hid a lower dir: opaque, as over a whiteout.
    mkdir: [outcome(() => mkdirSync(join(m, 'dd'))), readdirSync(join(m, 'dd')), outcome(() => rmdirSync(join(m, 'dd')))],
    root: readdirSync(m).sort(),
  });
  const seen = steps(ovl.merged);
  t.same(seen, steps(fo.merged));
  t.same(seen.created, 'ok', 'the new foo reads');
  t.same(dumpTree(ovl.merged), dumpTree(fo.merged));
});

t.test('a layer root holding .wh..wh..opq hides the layers below it', async (t) => {
  const { ovl, fo } = await pairOf(t, 2, (d) => {
    writeFileSync(join(d.lowers[0]!, '.wh..wh..opq'), '');
    writeFileSync(join(d.lowers[0]!, 'top'), 'top');
    writeFileSync(join(d.lowers[1]!, 'rootfile'), 'below');
  });
  t.same(readdirSync(ovl.merged), ['top']);
  t.same(dumpTree(ovl.merged), dumpTree(fo.merged));
});
