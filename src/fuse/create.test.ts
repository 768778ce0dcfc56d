// Removing a dir's upper copy: a merged dir's copy, holding the whiteouts of the lower names
// deleted through the mount, is emptied before its rmdir (no ENOTEMPTY thrown and caught per dir),
// of the whiteouts its emptiness check listed only, as the kernel's ovl_clear_empty.
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as fsb from '../sys/fs-bytes.js';
import { isCharWhiteout, resolveMountOptions } from '../format/index.js';
import { getXattr, makeWhiteout, setXattr } from '../sys/index.js';
import { fileHandle } from '../sys/handle.js';
import { kernelOptions, layerDirs, workLeft } from '../../test/helpers/layers.js';
import { checkThen } from '../../test/helpers/empty-check.js';
import { syscallsDuring } from '../../test/helpers/strace.js';
import { clearEmptyDir, removeAt, removeDirCopy } from './create.js';
import { encodeOrigin } from './inode.js';
import { lookupPath } from './lookup.js';
import { prepareWorkdir } from './workdir.js';
import { rmdirAt, unlinkAt } from './names.js';
import { Overlay } from './overlay.js';
import { checkEmptyDir } from './readdir.js';

function isWhiteout(path: string): boolean {
  const st = lstatSync(path);
  return isCharWhiteout({ mode: st.mode, rdev: st.rdev });
}

t.test('rmdir of an emptied lower dir: no rmdir refused, a whiteout left, the work dir clean', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-copy-');
  mkdirSync(join(d.lowers[0]!, 'dir/sub'), { recursive: true });
  writeFileSync(join(d.lowers[0]!, 'dir/f'), 'l');
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  unlinkAt(ovl, '/dir/f');
  rmdirAt(ovl, '/dir/sub');
  t.same(readdirSync(join(d.upper, 'dir')).sort(), ['f', 'sub'], 'the upper copy holds two whiteouts');
  const calls = await syscallsDuring(t, ['rmdir', 'unlink', 'unlinkat'], () => rmdirAt(ovl, '/dir'));
  // ovl_clear_empty swaps in an empty replica; the old copy is cleared, then the replica traded for a whiteout.
  t.same(calls.filter((c) => c === 'rmdir'), ['rmdir', 'rmdir'], 'two rmdirs (the old copy, the replica): none refused with ENOTEMPTY');
  t.equal(calls.length, 4, 'and one unlink per whiteout');
  t.ok(isWhiteout(join(d.upper, 'dir')), 'the lower dir is whited out');
  t.same(workLeft(d.work), [], 'nothing left in the work dir but the shared whiteout');
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

t.test('clearEmptyDir swaps an empty opaque replica in for the dir (RENAME_EXCHANGE): its mode, owner, times and xattrs, the overlay\'s own markers left out, as 6.18 leaves one when the rename after it fails', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-clear-empty-');
  const dir = join(d.upper, 'dir');
  mkdirSync(dir);
  makeWhiteout(join(dir, 'w'));
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  setXattr(dir, 'user.kept', 'k');
  setXattr(dir, ovl.xattrs.name('origin'), encodeOrigin(fileHandle(d.lowers[0]!)));
  chmodSync(dir, 0o2751);
  chownSync(dir, 12, 34);
  utimesSync(dir, new Date('2001-01-01T00:00:00Z'), new Date('2001-01-02T00:00:00Z'));
  const before = lstatSync(dir);
  clearEmptyDir(ovl, dir, ['w']);
  const after = lstatSync(dir);
  t.not(after.ino, before.ino, 'a new dir has the name');
  t.same(readdirSync(dir), [], 'empty');
  t.same([after.mode, after.uid, after.gid, after.atimeMs, after.mtimeMs], [before.mode, 12, 34, before.atimeMs, before.mtimeMs]);
  t.same(getXattr(dir, ovl.xattrs.name('opaque')), Buffer.from('y'), 'opaque');
  t.same(getXattr(dir, 'user.kept'), Buffer.from('k'), 'the user xattr copied');
  t.equal(getXattr(dir, ovl.xattrs.name('origin')), null, 'no origin (ovl_copy_xattr skips the overlay\'s own)');
  t.same(readdirSync(join(d.work, 'work')), [], 'the old copy and its whiteout cleared');
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
  const left = workLeft(d.work);
  t.equal(left.length, 1, 'the copy stays in the work dir');
  t.same(readdirSync(join(d.work, 'work', left[0]!)), ['precious']);
  writeFileSync(join(d.upper, 'shown'), 's');
  t.throws(() => checkEmptyDir(ovl, lookupPath(ovl, '/'), '/'), { code: 'ENOTEMPTY' }, 'a dir that shows a name is not empty');
});

t.test('rmdir of a pure upper dir is the upper\'s own rmdir(2), unchecked, as ovl_do_remove: no trip through the work dir; a whiteout in it is an entry (ENOTEMPTY, as on 6.18)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-pure-');
  mkdirSync(join(d.upper, 'empty'));
  mkdirSync(join(d.upper, 'held'));
  makeWhiteout(join(d.upper, 'held/w'));
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  lookupPath(ovl, '/empty');
  const calls = await syscallsDuring(t, ['rmdir', 'rename', 'renameat', 'renameat2', 'getdents64'], () => rmdirAt(ovl, '/empty'));
  t.same(calls, ['rmdir'], 'one rmdir of the upper dir, no listing, no rename');
  t.notOk(existsSync(join(d.upper, 'empty')), 'the dir is gone');
  t.throws(() => rmdirAt(ovl, '/held'), { code: 'ENOTEMPTY' }, 'the upper\'s rmdir counts the whiteout');
  t.ok(isWhiteout(join(d.upper, 'held/w')), 'the dir and its whiteout stay');
  t.same(readdirSync(join(d.work, 'work')), [], 'nothing in the work dir');
});

t.test('rmdir of an upper dir with an origin and no lower name, an entry appearing after the check: ENOTEMPTY from the upper\'s rmdir, the dir and entry stay (ovl_remove_upper)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-rmdir-origin-');
  mkdirSync(join(d.lowers[0]!, 'elsewhere'));
  mkdirSync(join(d.upper, 'dir'));
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  // An origin makes the dir one that may hold whiteouts (OVL_WHITEOUTS): it gets the check.
  setXattr(join(d.upper, 'dir'), ovl.xattrs.name('origin'), encodeOrigin(fileHandle(join(d.lowers[0]!, 'elsewhere'))));
  const checked: string[][] = [];
  const { rmdirAt: rmdirMocked } = await t.mockImport<typeof import('./names.js')>('./names.js', {
    './readdir.js': checkThen(() => writeFileSync(join(d.upper, 'dir/precious'), 'p'), checked),
  });
  t.throws(() => rmdirMocked(ovl, '/dir'), { code: 'ENOTEMPTY' });
  t.same(checked, [[]], 'checked, nothing to clear');
  t.same(readdirSync(join(d.upper, 'dir')), ['precious'], 'the entry stays where it was written');
  t.same(readdirSync(join(d.work, 'work')), [], 'nothing in the work dir');
});

t.test('rmdir of a dir holding an xattr whiteout, upper or lower (marked opaque=x or not): ENOTEMPTY, as 6.18 (its emptiness check counts the name lookup hides)', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-rmdir-xwh-');
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  const xwhiteout = (p: string) => {
    writeFileSync(p, '');
    setXattr(p, ovl.xattrs.name('whiteout'), '');
  };
  for (const dir of ['up', 'low', 'marked']) mkdirSync(join(d.lowers[1]!, dir));
  mkdirSync(join(d.upper, 'up'));
  xwhiteout(join(d.upper, 'up/a'));
  mkdirSync(join(d.lowers[0]!, 'low'));
  xwhiteout(join(d.lowers[0]!, 'low/a'));
  mkdirSync(join(d.lowers[0]!, 'marked'));
  setXattr(join(d.lowers[0]!, 'marked'), ovl.xattrs.name('opaque'), 'x');
  xwhiteout(join(d.lowers[0]!, 'marked/a'));
  for (const dir of ['up', 'low', 'marked']) {
    t.throws(() => rmdirAt(ovl, `/${dir}`), { code: 'ENOTEMPTY' }, dir);
    t.notOk(existsSync(join(d.upper, dir)) && isWhiteout(join(d.upper, dir)), `${dir} is not whited out`);
  }
});

/** create.js with its unlinks of entries in the work dir failing EIO (what rename2 put aside there). */
async function failingCleanup(t: Test, ovl: Overlay): Promise<typeof import('./create.js')> {
  const work = ovl.tempPath().replace(/[^/]*$/, '');
  const unlinkSync = (p: string): void => {
    if (p.startsWith(work)) throw Object.assign(new Error(`EIO: ${p}`), { code: 'EIO' });
    fsb.unlinkSync(p);
  };
  return t.mockImport<typeof import('./create.js')>('./create.js', { '../sys/fs-bytes.js': { ...fsb, unlinkSync } });
}

t.test('mkdir over a whiteout and unlink of a name a lower has: done even when what the rename put in the work dir cannot be unlinked, as the kernel\'s ovl_cleanup only warns', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-cleanup-aside-');
  for (const n of ['w', 'f']) writeFileSync(join(d.lowers[0]!, n), 'l');
  makeWhiteout(join(d.upper, 'w'));
  writeFileSync(join(d.upper, 'f'), 'u');
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  const { createAt, removeAt: remove } = await failingCleanup(t, ovl);
  createAt(ovl, '/w', { isDir: true, make: (real) => mkdirSync(real), mode: 0o755 });
  t.ok(lstatSync(join(d.upper, 'w')).isDirectory(), 'mkdir: the dir has the name');
  t.same(getXattr(join(d.upper, 'w'), ovl.xattrs.name('opaque')), Buffer.from('y'), 'opaque');
  remove(ovl, '/f', lookupPath(ovl, '/f'));
  t.ok(isWhiteout(join(d.upper, 'f')), 'unlink: a whiteout has the name');
  t.equal(readdirSync(join(d.work, 'work')).length, 2, 'the whiteout and the file stay in the work dir until the next mount');
});
