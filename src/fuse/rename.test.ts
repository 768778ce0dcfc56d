// rename over an empty merged dir, as the kernel's ovl_rename: the dir's upper copy is moved out
// and only the whiteouts its emptiness check listed are cleared (ovl_clear_empty); anything added
// to that copy beside the mount after the check stays in the work dir, never deleted.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OPAQUE_YES, resolveMountOptions } from '../format/index.js';
import { makeWhiteout, setXattr } from '../sys/index.js';
import { kernelOptions, layerDirs } from '../../test/helpers/layers.js';
import { prepareWorkdir } from './mount.js';
import { unlinkAt } from './names.js';
import { Overlay } from './overlay.js';
import * as readdir from './readdir.js';
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
  const left = readdirSync(join(d.work, 'work'));
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
