// Removing a dir's upper copy: a merged dir's copy, holding the whiteouts of the lower names
// deleted through the mount, is emptied before its rmdir (no ENOTEMPTY thrown and caught per dir),
// of the whiteouts its emptiness check listed only, as the kernel's ovl_clear_empty.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { isCharWhiteout, resolveMountOptions } from '../format/index.js';
import { makeWhiteout } from '../sys/index.js';
import { kernelOptions, layerDirs } from '../../test/helpers/layers.js';
import { syscallsDuring } from '../../test/helpers/strace.js';
import { removeAt, removeDirCopy } from './create.js';
import { lookupPath } from './lookup.js';
import { prepareWorkdir } from './mount.js';
import { rmdirAt, unlinkAt } from './names.js';
import { Overlay } from './overlay.js';
import { checkEmptyDir } from './readdir.js';

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

t.test('removeDirCopy clears the whiteouts its check listed and nothing else (ovl_clear_empty); a copy still holding more stays in the work dir', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-copy-');
  const tmp = join(d.work, 'copy');
  mkdirSync(join(tmp, 'deep/er'), { recursive: true });
  writeFileSync(join(tmp, 'deep/er/f'), 'x');
  writeFileSync(join(tmp, 'file'), 'x');
  makeWhiteout(join(tmp, 'gone'));
  makeWhiteout(join(tmp, 'late'));
  // 'file', 'deep' and the whiteout 'late' came after the check, which listed 'gone' (and 'vanished').
  removeDirCopy(tmp, ['gone', 'vanished']);
  t.same(readdirSync(tmp).sort(), ['deep', 'file', 'late'], 'only the listed whiteout is gone; the rest is kept');
  t.equal(readFileSync(join(tmp, 'deep/er/f'), 'utf8'), 'x');
  const empty = join(d.work, 'empty');
  mkdirSync(empty);
  makeWhiteout(join(empty, 'w'));
  removeDirCopy(empty, ['w']);
  t.notOk(existsSync(empty), 'a copy holding only its listed whiteouts is removed');
});

t.test('rmdir of a merged dir whose upper copy gains an entry beside the mount after the check: the rmdir succeeds, the entry is not deleted', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-copy-');
  mkdirSync(join(d.lowers[0]!, 'dir'));
  writeFileSync(join(d.lowers[0]!, 'dir/f'), 'l');
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  unlinkAt(ovl, '/dir/f');
  const node = lookupPath(ovl, '/dir');
  const listed = checkEmptyDir(ovl, node, '/dir');
  t.same(listed, ['f'], 'the check lists the upper copy\'s whiteout');
  writeFileSync(join(d.upper, 'dir/precious'), 'p');
  removeAt(ovl, '/dir', node, listed);
  t.ok(isWhiteout(join(d.upper, 'dir')), 'the lower dir is whited out');
  const left = readdirSync(join(d.work, 'work'));
  t.equal(left.length, 1, 'the copy stays in the work dir');
  t.same(readdirSync(join(d.work, 'work', left[0]!)), ['precious']);
  writeFileSync(join(d.upper, 'shown'), 's');
  t.throws(() => checkEmptyDir(ovl, lookupPath(ovl, '/'), '/'), { code: 'ENOTEMPTY' }, 'a dir that shows a name is not empty');
});
