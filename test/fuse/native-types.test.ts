// The fuse-native transport after a layer changed while mounted put an object of another type at
// a name the kernel holds (src/fuse/native-types.ts): the kernel's FUSE client would mark the
// inode bad (EIO) on a GETATTR answering the new type under libfuse's old node id; the daemon
// answers ESTALE once instead, and the VFS's retry looks the name up again. Found by ovl-check
// (seed 411, lower-mutation: EIO on both cases below).
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mknod, makedev } from '../../src/sys/index.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
};

t.test('fuse-native: a name whose object changed type in a layer while mounted gives no EIO', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-native-types-');
  writeFileSync(join(d.lowers[0]!, 'f'), '');
  mkdirSync(join(d.upper, 'e'));
  await mountFuse(t, d, 'transport=fuse-native');
  t.ok(statSync(join(d.merged, 'f')).isFile());
  t.ok(statSync(join(d.merged, 'e')).isDirectory());
  // A new upper dir hides the lower file; the upper dir is replaced by a whiteout.
  mkdirSync(join(d.upper, 'f'));
  rmdirSync(join(d.upper, 'e'));
  mknod(join(d.upper, 'e'), 0o20000, makedev(0, 0));
  // A listing of the root looks the names up again (as ovl-check's shrunk case did before its read).
  readdirSync(d.merged);
  t.equal(code(() => statSync(join(d.merged, 'f'))), 'ok', 'the file that became a dir: no EIO');
  t.equal(code(() => readFileSync(join(d.merged, 'f'))), 'EISDIR', 'a read finds the dir');
  t.equal(code(() => statSync(join(d.merged, 'e', 'a'))), 'ENOENT', 'below the dir that became a whiteout: ENOENT');
  t.equal(code(() => statSync(join(d.merged, 'e'))), 'ENOENT', 'the dir that became a whiteout: ENOENT');
});


// Review of 9c6ffec: any rename or rmdir through the mount forgot every remembered type, so a name
// the kernel still held answered its new type unchecked (EIO). Now a rename moves what was
// remembered below it and an rmdir forgets only its own subtree.
t.test('fuse-native: renames and rmdirs through the mount keep the other names checked', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-native-types-');
  writeFileSync(join(d.lowers[0]!, 'f'), '');
  await mountFuse(t, d, 'transport=fuse-native');
  const m = (...p: string[]) => join(d.merged, ...p);
  mkdirSync(m('a'));
  writeFileSync(m('a', 'x'), '');
  mkdirSync(m('gone'));
  writeFileSync(m('other'), '');
  t.ok(statSync(m('f')).isFile());
  t.ok(statSync(m('a', 'x')).isFile());
  // Through the mount: an unrelated rename, a rename of the dir holding x, an rmdir.
  renameSync(m('other'), m('other2'));
  renameSync(m('a'), m('b'));
  rmdirSync(m('gone'));
  // Beside the mount: both files become dirs.
  mkdirSync(join(d.upper, 'f'));
  unlinkSync(join(d.upper, 'b', 'x'));
  mkdirSync(join(d.upper, 'b', 'x'));
  // Listings make the daemon read both dirs again (it has no layer watcher on this transport).
  readdirSync(d.merged);
  readdirSync(m('b'));
  t.equal(code(() => t.ok(statSync(m('f')).isDirectory())), 'ok', 'the lower file that became a dir: no EIO');
  t.equal(code(() => readdirSync(m('f'))), 'ok', 'and it lists');
  t.equal(code(() => t.ok(statSync(m('b', 'x')).isDirectory())), 'ok', 'the moved file that became a dir: no EIO');
  t.equal(code(() => readdirSync(m('b', 'x'))), 'ok', 'and it lists');
});

// Review of 9c6ffec: calls on an fd do not retry ESTALE, so fstat of a file held open under a name
// whose object changed type got ESTALE (then EIO). The open file's own attributes answer instead,
// as the kernel's overlay answers from the inode the fd holds.
t.test('fuse-native: fstat of a file held open while its name changed type in a layer', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-native-types-');
  writeFileSync(join(d.lowers[0]!, 'held'), 'data');
  await mountFuse(t, d, 'transport=fuse-native');
  const m = join(d.merged, 'held');
  const fd = openSync(m, 'r');
  t.teardown(() => closeSafely(fd));
  t.ok(fstatSync(fd).isFile());
  mkdirSync(join(d.upper, 'held'));
  readdirSync(d.merged);
  t.equal(code(() => t.ok(fstatSync(fd).isFile(), 'the open file')), 'ok', 'fstat: no ESTALE, no EIO');
  t.equal(readFileSync(fd, 'utf8'), 'data', 'and it reads');
  t.equal(code(() => t.ok(statSync(m).isFile(), 'the open file, as the kernel’s cached dentry')), 'ok', 'stat of the name meanwhile');
  closeSync(fd);
  t.equal(code(() => t.ok(statSync(m).isDirectory(), 'the dir once nothing holds the file')), 'ok', 'then the new object');
});

function closeSafely(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // closed by the test
  }
}
