// Removing a dir's upper copy: a merged dir's copy, holding the whiteouts of the lower names
// deleted through the mount, is emptied before its rmdir (no ENOTEMPTY thrown and caught per dir).
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isCharWhiteout, resolveMountOptions } from '../format/index.js';
import { makeWhiteout } from '../sys/index.js';
import { kernelOptions, layerDirs } from '../../test/helpers/layers.js';
import { syscallsDuring } from '../../test/helpers/strace.js';
import { removeDirCopy } from './create.js';
import { prepareWorkdir } from './mount.js';
import { rmdirAt, unlinkAt } from './names.js';
import { Overlay } from './overlay.js';

function isWhiteout(path: string): boolean {
  const st = lstatSync(path);
  return isCharWhiteout({ mode: st.mode, rdev: st.rdev });
}

t.test('rmdir of an emptied lower dir: one rmdir of its upper copy, a whiteout left, the work dir clean', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-copy-');
  mkdirSync(join(d.lowers[0]!, 'dir/sub'), { recursive: true });
  writeFileSync(join(d.lowers[0]!, 'dir/f'), 'l');
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  unlinkAt(ovl, '/dir/f');
  rmdirAt(ovl, '/dir/sub');
  t.same(readdirSync(join(d.upper, 'dir')).sort(), ['f', 'sub'], 'the upper copy holds two whiteouts');
  const calls = await syscallsDuring(t, ['rmdir', 'unlink', 'unlinkat'], () => rmdirAt(ovl, '/dir'));
  t.same(calls.filter((c) => c === 'rmdir'), ['rmdir'], 'one rmdir: none refused with ENOTEMPTY');
  t.equal(calls.length, 3, 'and one unlink per whiteout');
  t.ok(isWhiteout(join(d.upper, 'dir')), 'the lower dir is whited out');
  t.same(readdirSync(join(d.work, 'work')), [], 'nothing left in the work dir');
});

t.test('removeDirCopy removes whiteouts, files and (offline-made) dirs of a merged copy; any other copy too', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-copy-');
  for (const merged of [true, false]) {
    const tmp = join(d.work, `copy-${merged}`);
    mkdirSync(join(tmp, 'deep/er'), { recursive: true });
    writeFileSync(join(tmp, 'deep/er/f'), 'x');
    writeFileSync(join(tmp, 'file'), 'x');
    makeWhiteout(join(tmp, 'gone'));
    removeDirCopy(tmp, merged);
    t.notOk(readdirSync(d.work).includes(`copy-${merged}`), `merged=${merged}: removed`);
  }
});
