// rename over an empty merged dir, as the kernel's ovl_rename: an empty opaque replica takes the
// dir's place by RENAME_EXCHANGE, and only the whiteouts the emptiness check listed are cleared from
// the old copy, now in the work dir (ovl_clear_empty); anything added to that copy beside the mount
// after the check stays in the work dir, never deleted. The name is never absent on the way.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as fsb from '../sys/fs-bytes.js';
import { type MountOptions, OPAQUE_YES, resolveMountOptions } from '../format/index.js';
import * as sys from '../sys/index.js';
import { makeWhiteout, setXattr } from '../sys/index.js';
import { kernelOptions, layerDirs, workLeft } from '../../test/helpers/layers.js';
import { lookupOrNull } from './lookup.js';
import { prepareWorkdir } from './workdir.js';
import { unlinkAt } from './names.js';
import { Overlay } from './overlay.js';
import * as readdir from './readdir.js';
import { RENAME_EXCHANGE } from './rename.js';
import { checkThen } from '../../test/helpers/empty-check.js';

t.test('rename over an empty merged dir whose upper copy gains an entry after the check: the entry is kept in the work dir', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rename-dest-');
  mkdirSync(join(d.lowers[0]!, 'dst'));
  writeFileSync(join(d.lowers[0]!, 'dst/f'), 'l');
  mkdirSync(join(d.upper, 'src'));
  writeFileSync(join(d.upper, 'src/moved'), 'm');
  prepareWorkdir(d.work);
  const checked: string[][] = [];
  // The check as it is, and then a writer beside the mount adds to the upper copy.
  const addBeside = () => writeFileSync(join(d.upper, 'dst/precious'), 'p');
  const { renameMerged } = await t.mockImport<typeof import('./rename.js')>('./rename.js', {
    './readdir.js': {
      ...checkThen(addBeside, checked),
      // The check of the code before (it only asked for the visible names).
      mergedNames: (...args: Parameters<typeof readdir.mergedNames>) => {
        const names = readdir.mergedNames(...args);
        addBeside();
        return names;
      },
    },
  });
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  unlinkAt(ovl, '/dst/f');
  renameMerged(ovl, '/src', '/dst');
  t.same(checked, [['f']], 'the check listed the whiteout of f');
  t.same(readdirSync(join(d.upper, 'dst')), ['moved'], 'the source dir took the name');
  const left = workLeft(d.work);
  t.equal(left.length, 1, 'the old copy stays in the work dir');
  t.same(readdirSync(join(d.work, 'work', left[0]!)), ['precious'], 'with the entry added after the check, not deleted; the whiteout cleared');
});

t.test('rename over a dir as ovl_rename: a pure upper one (opaque too) goes unchecked to rename(2), a whiteout in it an entry; a merged one with nothing to clear is not moved out, so an entry added after the check gives ENOTEMPTY', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rename-dest-');
  mkdirSync(join(d.upper, 'src'));
  mkdirSync(join(d.upper, 'pure'));
  makeWhiteout(join(d.upper, 'pure/w'));
  mkdirSync(join(d.lowers[0]!, 'merged'));
  mkdirSync(join(d.upper, 'merged'));
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  setXattr(join(d.upper, 'pure'), ovl.xattrs.name('opaque'), OPAQUE_YES);
  const checked: string[][] = [];
  const { renameMerged } = await t.mockImport<typeof import('./rename.js')>('./rename.js', {
    './readdir.js': checkThen(() => writeFileSync(join(d.upper, 'merged/precious'), 'p'), checked),
  });
  t.throws(() => renameMerged(ovl, '/src', '/pure'), { code: 'ENOTEMPTY' }, 'as the kernel here (6.18)');
  t.same(checked, [], 'the pure upper dir is not checked');
  t.same(readdirSync(join(d.upper, 'pure')), ['w'], 'its whiteout stays');
  t.throws(() => renameMerged(ovl, '/src', '/merged'), { code: 'ENOTEMPTY' });
  t.same(checked, [[]], 'the merged dir was checked: nothing to clear');
  t.same(readdirSync(join(d.upper, 'merged')), ['precious'], 'the entry stays where it was written');
  t.same(readdirSync(join(d.work, 'work')), [], 'nothing in the work dir');
  t.same(readdirSync(join(d.upper, 'src')), [], 'the source stays');
});

/**
 * Mocks for t.mockImport of rename.js that call `after` once each call changing the layers has
 * returned, in rename.js and in create.js (a mock reaches only the module imported).
 */
async function afterEachChange(t: Test, after: () => void): Promise<Record<string, unknown>> {
  const wrap = <F extends (...args: never[]) => unknown>(f: F): F =>
    ((...args: Parameters<F>) => {
      const r = f(...args);
      after();
      return r;
    }) as F;
  const mocks = {
    '../sys/fs-bytes.js': { ...fsb, renameSync: wrap(fsb.renameSync), rmSync: wrap(fsb.rmSync), unlinkSync: wrap(fsb.unlinkSync), rmdirSync: wrap(fsb.rmdirSync), mkdirSync: wrap(fsb.mkdirSync) },
    '../sys/index.js': { ...sys, rename2: wrap(sys.rename2), makeWhiteout: wrap(sys.makeWhiteout) },
  };
  return { ...mocks, './create.js': await t.mockImport('./create.js', mocks) };
}

/**
 * `renameMerged(src, dest, flags)` with the merged `src` and `dest` looked at by a fresh Overlay (an
 * observer beside the mount, or the mount after a crash at that point) before the rename, after
 * each of its changes to the layers and at its end: each distinct view, in order, and how many
 * changes there were.
 */
async function viewsDuring(t: Test, d: ReturnType<typeof layerDirs>, extra: Partial<MountOptions>, src: string, dest: string, flags = 0): Promise<{ views: string[]; steps: number }> {
  const opts = resolveMountOptions(kernelOptions(d, extra));
  const caller = () => ({ uid: 0, gid: 0 });
  const show = (o: Overlay, p: string): string => {
    const n = lookupOrNull(o, p);
    return `${p}:${n === null ? ' -' : n.isDir ? ` [${readdir.mergedNames(o, n).join(',')}]` : ' file'}`;
  };
  const views: string[] = [];
  let steps = 0;
  const look = () => {
    const o = new Overlay(opts, 'never', caller);
    const v = `${show(o, src)} ${show(o, dest)}`;
    if (views.at(-1) !== v) views.push(v);
  };
  const { renameMerged } = await t.mockImport<typeof import('./rename.js')>('./rename.js', await afterEachChange(t, () => (steps++, look())));
  const ovl = new Overlay(opts, 'never', caller);
  look();
  renameMerged(ovl, src, dest, flags);
  look();
  return { views, steps };
}

t.test('rename keeps the destination name at every step, as ovl_rename: a merged dir holding whiteouts is first swapped for an empty opaque replica (RENAME_EXCHANGE), a whiteout trades places with a dir; a crash at any step leaves only entries in the work dir', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rename-steps-');
  const lower = d.lowers[0]!;
  mkdirSync(join(lower, 'dst'));
  for (const n of ['a', 'b']) writeFileSync(join(lower, 'dst', n), 'l');
  writeFileSync(join(lower, 'w'), 'l');
  mkdirSync(join(lower, 'ld'));
  writeFileSync(join(lower, 'ld/in'), 'l');
  writeFileSync(join(lower, 'v'), 'l');
  for (const s of ['src', 'src2']) {
    mkdirSync(join(d.upper, s));
    writeFileSync(join(d.upper, s, 'moved'), 'm');
  }
  prepareWorkdir(d.work);
  const setup = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  for (const p of ['/dst/a', '/dst/b', '/w', '/v']) unlinkAt(setup, p);
  setXattr(join(d.upper, 'dst'), 'user.kept', 'k');

  const dir = await viewsDuring(t, d, {}, '/src', '/dst');
  t.same(dir.views, ['/src: [moved] /dst: []', '/src: - /dst: [moved]'], 'never the lower names of dst');
  t.equal(dir.steps, 6, 'mkdir, exchange, two unlinks, rmdir, the move');
  t.same(workLeft(d.work), [], 'the old copy cleared from the work dir');

  const onWhiteout = await viewsDuring(t, d, {}, '/src2', '/w');
  t.same(onWhiteout.views, ['/src2: [moved] /w: -', '/src2: - /w: [moved]'], 'never the lower file w');
  t.equal(onWhiteout.steps, 2, 'the exchange, then the whiteout unlinked from the source name');

  const redirected = await viewsDuring(t, d, { redirectDir: 'on' }, '/ld', '/v');
  t.same(redirected.views, ['/ld: [in] /v: -', '/ld: - /v: [in]'], 'never the lower file v');
  t.equal(redirected.steps, 1, 'one exchange: the whiteout moves to the source name (ovl_rename "Switch whiteouts")');
  t.same(readdirSync(d.upper).sort(), ['dst', 'ld', 'v', 'w'], 'no stray entry in the upper (ld: the whiteout)');
});

t.test('RENAME_EXCHANGE of merged dirs (redirect_dir=on) marks both before it swaps them, as ovl_rename: swapped unmarked, a dir sits at the other name merged with its lower, and a name deleted there shows again', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-exchange-steps-');
  const lower = d.lowers[0]!;
  for (const [dir, name] of [['a', 'x'], ['b', 'y']] as const) {
    mkdirSync(join(lower, dir));
    writeFileSync(join(lower, dir, name), 'l');
  }
  prepareWorkdir(d.work);
  unlinkAt(new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 })), '/a/x');
  const swapped = await viewsDuring(t, d, { redirectDir: 'on' }, '/a', '/b', RENAME_EXCHANGE);
  t.same(swapped.views, ['/a: [] /b: [y]', '/a: [y] /b: []'], 'never /a: [x]');
});

t.test('rename of a dir onto a whiteout: the move stands when the whiteout it traded places with cannot be unlinked, as ovl_rename ignores its ovl_cleanup', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rename-cleanup-');
  writeFileSync(join(d.lowers[0]!, 'w'), 'l');
  mkdirSync(join(d.upper, 'src'));
  writeFileSync(join(d.upper, 'src/moved'), 'm');
  prepareWorkdir(d.work);
  const opts = resolveMountOptions(kernelOptions(d));
  const ovl = new Overlay(opts, 'never', () => ({ uid: 0, gid: 0 }));
  unlinkAt(ovl, '/w');
  const aside = join(d.upper, 'src');
  const unlinkSync = (p: string): void => {
    if (p === aside) throw Object.assign(new Error(`EIO: ${p}`), { code: 'EIO' });
    fsb.unlinkSync(p);
  };
  const mocks = { '../sys/fs-bytes.js': { ...fsb, unlinkSync } };
  const { renameMerged } = await t.mockImport<typeof import('./rename.js')>('./rename.js', { ...mocks, './create.js': await t.mockImport('./create.js', mocks) });
  renameMerged(ovl, '/src', '/w');
  t.same(readdirSync(join(d.upper, 'w')), ['moved'], 'the dir has the name');
  t.equal(lookupOrNull(new Overlay(opts, 'never', () => ({ uid: 0, gid: 0 })), '/src'), null, 'the whiteout left at the source name hides nothing (no lower has it)');
});
