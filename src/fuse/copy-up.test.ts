// Copy-up by the core (no FUSE in between) against the kernel's, on twin layer trees: owner, mode
// with set-id bits, xattrs (the overlay's private ones left out), times, origin, the parent's
// impure mark and kept times, and nothing left in the work dir; with the O_TMPFILE copy and with
// the named temp file an upper without O_TMPFILE gets.
import {
  appendFileSync, chownSync, chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, readdirSync, readFileSync, readSync,
  writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { resolveMountOptions } from '../format/index.js';
import { getXattr, listXattrs, setTimes, setXattr, timeFromNs } from '../sys/index.js';
import { type LayerDirs, kernelOptions, layerDirs, mountKernel } from '../../test/helpers/layers.js';
import { syscallsDuring } from '../../test/helpers/strace.js';
import { noXfs, xfsLayersAt } from '../../test/helpers/scratch-fs.js';
import { O_LARGEFILE } from '../sys/space.js';
import { copyUp, copyUpOpen } from './copy-up.js';
import { rememberChild } from './lookup.js';
import { prepareWorkdir } from './workdir.js';
import { Overlay } from './overlay.js';
import { listDir } from './readdir.js';

function fixture(d: LayerDirs): void {
  const dir = join(d.lowers[0]!, 'd');
  mkdirSync(dir);
  for (const [name, mode] of [['f', 0o4755], ['g', 0o640], ['empty', 0o600]] as const) {
    const f = join(dir, name);
    writeFileSync(f, name === 'empty' ? '' : `data of ${name}\n`.repeat(1000));
    chownSync(f, 1234, 5678);
    chmodSync(f, mode);
    setXattr(f, 'user.note', name);
    setXattr(f, 'trusted.overlay.opaque', 'y');
    setTimes(f, timeFromNs(1_000_000_001n), timeFromNs(2_000_000_002n));
  }
  mkdirSync(join(d.upper, 'd'));
  setTimes(join(d.upper, 'd'), timeFromNs(3_000_000_003n), timeFromNs(4_000_000_004n));
}

/** What copy-up leaves in the upper: file metadata, xattr names, data, and the parent's. */
function observe(d: LayerDirs): unknown {
  const dir = join(d.upper, 'd');
  const files = Object.fromEntries(
    readdirSync(dir).sort().map((name) => {
      const f = join(dir, name);
      const st = lstatSync(f, { bigint: true });
      const data = readFileSync(f);
      return [name, { uid: st.uid, gid: st.gid, mode: st.mode, nlink: st.nlink, atime: st.atimeNs, mtime: st.mtimeNs, size: data.length, xattrs: listXattrs(f).sort() }];
    }),
  );
  // Not the parent's atime: listing it above stamped it (relatime).
  const mtime = lstatSync(dir, { bigint: true }).mtimeNs;
  return { files, parent: { impure: getXattr(dir, 'trusted.overlay.impure')?.toString(), mtime }, work: readdirSync(join(d.work, 'work')) };
}

async function kernelCopy(t: Test): Promise<unknown> {
  const d = layerDirs(t, 1, 'ovlkit-copyup-k-');
  fixture(d);
  mountKernel(d);
  // A write open copies up; reading the data back does not stamp the copy's times on close.
  for (const name of ['f', 'g', 'empty']) appendFileSync(join(d.merged, 'd', name), '', { flag: 'r+' });
  return observe(d);
}

function coreCopy(t: Test, tmpfile: boolean): unknown {
  const d = layerDirs(t, 1, 'ovlkit-copyup-c-');
  fixture(d);
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  ovl.tmpfileCopyUp = tmpfile;
  for (const name of ['f', 'g', 'empty']) t.ok(copyUp(ovl, `/d/${name}`).hits[0]!.layer.upper, `${name} is upper`);
  t.equal(ovl.tmpfileCopyUp, tmpfile, 'the upper takes O_TMPFILE (ext4)');
  return observe(d);
}

t.test('copy-up leaves what the kernel leaves, O_TMPFILE or named temp', async (t) => {
  const kernel = await kernelCopy(t);
  t.same(coreCopy(t, true), kernel, 'O_TMPFILE linked into place');
  t.same(coreCopy(t, false), kernel, 'named temp renamed into place');
});

/** What follows each f(data)sync in `calls`: the copy's metadata (auto) or its name (strict). */
const afterSyncs = (calls: string[]) => calls.flatMap((c, i) => (/^f(data)?sync$/.test(c) ? [calls[i + 1] ?? 'end'] : []));

// Traced on kernel 6.18 (ext4_sync_file_enter, one copy-up of each): fsync=auto (the default) syncs
// a file with data once (datasync 0) before its metadata, and no empty file, dir or symlink;
// fsync=strict syncs every file and dir once, after its metadata (ovl_copy_up_metadata, 6.12+).
t.test('copy-up fsyncs as the kernel: the data before the metadata (auto), after it (strict), never (volatile)', async (t) => {
  for (const mode of ['auto', 'strict', 'volatile'] as const) {
    const d = layerDirs(t, 1, 'ovlkit-copyup-sync-');
    fixture(d);
    mkdirSync(join(d.lowers[0]!, 'sub'));
    prepareWorkdir(d.work);
    const ovl = new Overlay(resolveMountOptions(kernelOptions(d, mode === 'volatile' ? { volatile: true } : { fsync: mode })), 'never', () => ({ uid: 0, gid: 0 }));
    const calls = await syscallsDuring(t, ['fsync', 'fdatasync', 'fsetxattr', 'utimensat', 'linkat', 'renameat2'], () => {
      for (const name of ['d/f', 'd/g', 'd/empty', 'sub']) copyUp(ovl, `/${name}`);
    });
    // f and g have data; strict syncs empty and the dir sub too, each just before it takes its name.
    const expected = { auto: ['fsetxattr', 'fsetxattr'], strict: ['linkat', 'linkat', 'linkat', 'renameat2'], volatile: [] }[mode];
    t.same(afterSyncs(calls), expected, `${mode}: ${calls.join(' ')}`);
  }
});

/** Root's files of every usual mode, and one set-group-ID, in a lower dir `d` (the upper has `d`). */
function rootFixture(d: LayerDirs): void {
  mkdirSync(join(d.lowers[0]!, 'd'));
  for (const [name, mode] of [['a', 0o666], ['b', 0o755], ['c', 0o444], ['s', 0o2755]] as const) {
    const f = join(d.lowers[0]!, 'd', name);
    writeFileSync(f, `data of ${name}\n`);
    chmodSync(f, mode);
    setTimes(f, timeFromNs(1_000_000_001n), timeFromNs(2_000_000_002n));
  }
  mkdirSync(join(d.upper, 'd'));
  setTimes(join(d.upper, 'd'), timeFromNs(3_000_000_003n), timeFromNs(4_000_000_004n));
}

t.test('a copy made with the owner and mode of its lower (no chown, no chmod) is what the kernel makes, under any umask', async (t) => {
  const k = layerDirs(t, 1, 'ovlkit-copyup-rk-');
  rootFixture(k);
  mountKernel(k);
  for (const name of ['a', 'b', 'c', 's']) appendFileSync(join(k.merged, 'd', name), '', { flag: 'r+' });
  const kernel = observe(k);
  const before = process.umask();
  t.teardown(() => void process.umask(before));
  for (const umask of [0, 0o022, 0o077]) {
    process.umask(umask);
    const d = layerDirs(t, 1, 'ovlkit-copyup-rc-');
    rootFixture(d);
    prepareWorkdir(d.work);
    const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
    for (const name of ['a', 'b', 'c', 's']) copyUp(ovl, `/d/${name}`);
    t.same(ovl.workCreates, { uid: 0, gid: 0, keepsMode: umask === 0 }, `umask ${umask.toString(8)}: what the work dir gives was learned`);
    t.same(observe(d), kernel, `umask ${umask.toString(8)}`);
  }
});

t.test('copyUpOpen hands the copy over as the fd of the open when its flags allow', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-copyup-open-');
  rootFixture(d);
  prepareWorkdir(d.work);
  process.umask(0);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  const { O_WRONLY, O_RDWR, O_APPEND, O_TRUNC } = constants;
  // O_APPEND after the copy: a write at offset 0 lands at the end.
  const app = copyUpOpen(ovl, '/d/a', O_WRONLY | O_APPEND | O_LARGEFILE);
  t.not(app.fd, null, 'O_WRONLY|O_APPEND: the copy fd');
  t.ok(app.node.hits[0]!.layer.upper, 'the node is the upper copy');
  writeSync(app.fd!, 'more\n', 0);
  t.equal(readFileSync(join(d.upper, 'd', 'a'), 'utf8'), 'data of a\nmore\n', 'appended');
  t.equal(app.st!.ino, fstatSync(app.fd!, { bigint: true }).ino, 'its stat is of that fd');
  closeSync(app.fd!);
  // O_RDWR: readable and writable in place.
  const rw = copyUpOpen(ovl, '/d/b', O_RDWR);
  t.not(rw.fd, null, 'O_RDWR: the copy fd');
  const buf = Buffer.alloc(9);
  readSync(rw.fd!, buf, 0, 9, 0);
  t.equal(buf.toString(), 'data of b', 'readable');
  t.equal(rw.st!.ino, lstatSync(join(d.upper, 'd', 'b'), { bigint: true }).ino, 'its stat is the upper file');
  closeSync(rw.fd!);
  t.same(copyUpOpen(ovl, '/d/b', O_RDWR).fd, null, 'already upper: the caller opens it');
  t.same(copyUpOpen(ovl, '/d/c', O_WRONLY | O_TRUNC).fd, null, 'O_TRUNC: the caller opens (and truncates) it');
  t.ok(lstatSync(join(d.upper, 'd', 'c')).isFile(), 'copied up all the same');
  t.same(copyUpOpen(ovl, '/d/s', O_WRONLY | constants.O_SYNC).fd, null, 'O_SYNC: not a flag fcntl can set');
  t.same(readdirSync(join(d.work, 'work')), [], 'nothing left in the work dir');
});

t.test('files a listing resolved stay remembered through their dir copy-up, and still copy up right', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-copyup-list-');
  mkdirSync(join(d.lowers[0]!, 'cu'));
  for (const name of ['a', 'b']) writeFileSync(join(d.lowers[0]!, 'cu', name), `data of ${name}\n`);
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  listDir(ovl, '/cu');
  t.same([...ovl.files.get('/cu')!.keys()].sort(), ['a', 'b'], 'the listing kept its files as lookups would');
  const a = copyUp(ovl, '/cu/a');
  t.ok(a.hits[0]!.layer.upper, 'a is upper');
  t.same([...ovl.files.get('/cu')!.keys()].sort(), ['a', 'b'], 'the dir copied up on the way kept them (a now as its copy)');
  t.equal(ovl.files.get('/cu')!.get('a')!.real, join(d.upper, 'cu', 'a'), 'a is remembered as its upper copy');
  t.ok(copyUp(ovl, '/cu/b').hits[0]!.layer.upper, 'b copies up from what was remembered');
  t.equal(readFileSync(join(d.upper, 'cu', 'b'), 'utf8'), 'data of b\n', 'with its data');
  // Not remembered under a dir that is not cached: its invalidation could not drop them.
  ovl.invalidate('/cu');
  const cu = { path: '/cu', hits: [], isDir: true, fresh: true };
  rememberChild(ovl, cu, 'b', { path: '/cu/b', hits: [a.hits[0]!], isDir: false, fresh: true });
  t.equal(ovl.files.get('/cu'), undefined, 'nothing kept under an uncached dir');
});

// A synced copy starts each 256 KiB chunk's writeback once it is copied, so the fsync waits only for
// the last chunk (measured: docs/fuse.md, "Copy-up, eighth pass"); a volatile one copies in one call.
t.test('a synced copy starts writeback chunk by chunk before its one fsync; a volatile copy does not', async (t) => {
  const data = Buffer.alloc((1 << 20) + 5);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 255;
  for (const mode of ['auto', 'volatile'] as const) {
    const d = layerDirs(t, 1, 'ovlkit-copyup-wb-');
    writeFileSync(join(d.lowers[0]!, 'big'), data);
    prepareWorkdir(d.work);
    const ovl = new Overlay(resolveMountOptions(kernelOptions(d, mode === 'volatile' ? { volatile: true } : {})), 'never', () => ({ uid: 0, gid: 0 }));
    const calls = await syscallsDuring(t, ['copy_file_range', 'sync_file_range', 'fsync', 'linkat'], () => void copyUp(ovl, '/big'));
    const copy = ['copy_file_range', 'sync_file_range'];
    const expected = mode === 'auto' ? [...copy, ...copy, ...copy, ...copy, 'copy_file_range', 'fsync', 'linkat'] : ['copy_file_range', 'linkat'];
    t.same(calls, expected, mode);
    t.ok(readFileSync(join(d.upper, 'big')).equals(data), `${mode}: the copy has every byte`);
  }
});

t.test('on a filesystem with reflinks (XFS) a copy-up clones the file: FICLONE, no copy, no fsync, as ovl_copy_up_file', { skip: noXfs }, async (t) => {
  // The kernel tries vfs_clone_file_range first and, when all of it is cloned, skips its fsync.
  const d = layerDirs(t, 1, 'ovlkit-copyup-xfs-');
  xfsLayersAt(d, join(d.root, 'xfs'), '300M');
  const data = Buffer.alloc((8 << 20) + 5, 'x');
  writeFileSync(join(d.lowers[0]!, 'f'), data);
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  const calls = await syscallsDuring(t, ['ioctl', 'copy_file_range', 'fsync', 'linkat'], () => void copyUp(ovl, '/f'));
  t.notOk(calls.includes('copy_file_range'), `no copy_file_range: ${calls.join(' ')}`);
  t.notOk(calls.includes('fsync'), 'no fsync');
  t.ok(readFileSync(join(d.upper, 'f')).equals(data), 'every byte');
});
