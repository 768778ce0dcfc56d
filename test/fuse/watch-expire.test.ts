// What the layer watcher shows of a change in a lower while mounted, now that it only expires the
// kernel's entries (FUSE_EXPIRE_ONLY, so mounts in the merged view stay: bind-mounts-inside.test.ts).
// A review of that change found what a d_invalidate() had dropped and an expiry does not: names
// below a dir whose merge changed but that still names the same node (an opaque marker set on a
// lower dir, a lower dir moved away), and negative entries (events lost, an opaque marker removed:
// the latter missed before too). The watcher now expires every name held below such a dir and the
// negative entries it gave out (negative-names.ts). Two lowers, ovl-fuse as a user mounts it.
import { execFileSync } from 'node:child_process';
import { existsSync as exists, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { type FuseMount, mountFuse, overflowWhileStopped, shows } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs } from '../helpers/layers.js';

async function twoLowers(t: Test, build: (top: string, bottom: string) => void): Promise<{ d: LayerDirs; m: FuseMount }> {
  const d = layerDirs(t, 2);
  build(d.lowers[0]!, d.lowers[1]!);
  return { d, m: await mountFuse(t, d) };
}

t.test('an opaque marker set on a lower dir hides the lower names below it, at any depth', async (t) => {
  const { d } = await twoLowers(t, (top, bottom) => {
    mkdirSync(join(top, 'd/c'), { recursive: true });
    mkdirSync(join(bottom, 'd/c'), { recursive: true });
    writeFileSync(join(bottom, 'd/c/x'), 'x');
    writeFileSync(join(bottom, 'd/y'), 'y');
  });
  statSync(join(d.merged, 'd/c/x'));
  readdirSync(join(d.merged, 'd/c'));
  execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(d.lowers[0]!, 'd')]);
  t.ok(await shows(() => !exists(join(d.merged, 'd/y'))), 'd/y is gone');
  // Each waited for: the daemon answers anew at once, but what the kernel cached goes when the
  // notifications are written, from another thread (one event round); a reader can see one change
  // before the next is written (under two busy loops, 1 of 6 runs saw d/c/x or a/s/x a moment on).
  t.ok(await shows(() => !exists(join(d.merged, 'd/c/x'))), 'd/c/x is gone too (its dir still names the same node)');
  t.same(readdirSync(join(d.merged, 'd/c')), [], 'd/c lists nothing');
});

t.test('a lower dir moved away: what was below its name is gone', async (t) => {
  const { d } = await twoLowers(t, (top, bottom) => {
    mkdirSync(join(top, 'a/s'), { recursive: true });
    writeFileSync(join(top, 'a/s/x'), 'x');
    mkdirSync(join(bottom, 'a'));
  });
  statSync(join(d.merged, 'a/s/x'));
  renameSync(join(d.lowers[0]!, 'a'), join(d.lowers[0]!, 'b'));
  t.ok(await shows(() => readdirSync(join(d.merged, 'a')).length === 0), 'a lists nothing');
  t.ok(await shows(() => !exists(join(d.merged, 'a/s/x'))), 'a/s/x is gone');
  t.ok(await shows(() => !exists(join(d.merged, 'a/s'))), 'a/s is gone');
  t.ok(exists(join(d.merged, 'b/s/x')), 'b/s/x is there');
});

t.test('an opaque marker removed: a name the kernel held as negative below it shows', async (t) => {
  const { d } = await twoLowers(t, (top, bottom) => {
    mkdirSync(join(top, 'd'));
    execFileSync('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(top, 'd')]);
    mkdirSync(join(bottom, 'd'));
    writeFileSync(join(bottom, 'd/y'), 'y');
  });
  t.notOk(exists(join(d.merged, 'd/y')), 'hidden (the kernel now holds a negative entry)');
  execFileSync('setfattr', ['-x', 'trusted.overlay.opaque', join(d.lowers[0]!, 'd')]);
  t.ok(await shows(() => exists(join(d.merged, 'd/y'))), 'd/y shows (a stat, not only a listing)');
});

t.test('events lost while a name was held as negative: the name shows once it is made', async (t) => {
  const { d, m } = await twoLowers(t, (_top, bottom) => mkdirSync(join(bottom, 'd')));
  t.notOk(exists(join(d.merged, 'd/n')), 'no d/n (the kernel now holds a negative entry)');
  overflowWhileStopped(m, join(d.root, 'noise'), () => writeFileSync(join(d.lowers[1]!, 'd/n'), 'n'));
  t.ok(await shows(() => exists(join(d.merged, 'd/n'))), 'd/n shows');
});
