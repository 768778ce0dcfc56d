import {
  closeSync,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { makeWhiteout, setTimes } from './nodes.js';
import { OvlError } from '../errors.js';
import { copyFdData, copyFileNoatime, dotDotIno, listDirents, openDirNoAtime, readDirents, readNamesAt, readdirNoatime, readdirNoatimeDots, rereadDirents, withDirNames } from './dirents.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-dirents-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('names, inode numbers and types agree with readdir and lstat', async (t) => {
  const d = join(dir, 'd');
  mkdirSync(d);
  writeFileSync(join(d, 'f'), 'x');
  mkdirSync(join(d, 'sub'));
  symlinkSync('f', join(d, 'ln'));
  makeWhiteout(join(d, 'wh'));
  const many = Array.from({ length: 3000 }, (_, i) => `n-${i}-${'x'.repeat(40)}`);
  for (const n of many) writeFileSync(join(d, n), '');
  const got = readDirents(d);
  t.same(got.map((e) => e.name).sort(), readdirSync(d).sort(), 'every name, across several getdents64 buffers');
  const byName = new Map(got.map((e) => [e.name, e]));
  const expect: Record<string, string> = { f: 'file', sub: 'dir', ln: 'symlink', wh: 'char' };
  for (const [name, type] of Object.entries(expect)) {
    t.equal(byName.get(name)?.type, type, name);
    t.equal(byName.get(name)?.ino, lstatSync(join(d, name), { bigint: true }).ino, `${name} ino`);
  }
  t.same(readDirents(join(d, 'sub')), []);
  // The names-only reader shares one buffer between listings: each must come out whole.
  t.same(readdirNoatime(d).sort(), readdirSync(d).sort(), 'names only, across several getdents64 buffers');
  t.same(readdirNoatime(join(d, 'sub')), [], 'then an empty dir');
  t.same(readdirNoatime(d).length, readdirSync(d).length, 'and the big one again');
});

t.test('listing does not update the directory atime (O_NOATIME, as overlayfs reads lowers)', async (t) => {
  const d = join(dir, 'a');
  mkdirSync(d);
  writeFileSync(join(d, 'x'), '');
  setTimes(d, { sec: 1_000_000_000, nsec: 0 }, { sec: 1_000_000_000, nsec: 0 });
  readDirents(d);
  t.equal(lstatSync(d, { bigint: true }).atimeNs, 1_000_000_000_000_000_000n);
  readdirSync(d);
  t.not(lstatSync(d, { bigint: true }).atimeNs, 1_000_000_000_000_000_000n, 'node:fs would have (relatime)');
});

t.test('errors carry the path', async (t) => {
  t.throws(() => readDirents(join(dir, 'missing')), { code: 'ENOENT' });
  writeFileSync(join(dir, 'file'), '');
  t.throws(() => readDirents(join(dir, 'file')), { code: 'ENOTDIR' });
});

t.test('listing and copying leave atimes alone', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-dirents-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'd');
  mkdirSync(dir);
  const names = Array.from({ length: 3000 }, (_, i) => `name-${i}-${'x'.repeat(i % 50)}`);
  for (const n of names) writeFileSync(join(dir, n), '');
  writeFileSync(join(dir, 'ünï'), '');
  const src = join(root, 'src');
  writeFileSync(src, Buffer.alloc(3 * 1024 * 1024 + 7, 9));
  // An atime older than the mtime would be updated by any plain read under relatime.
  utimesSync(dir, 1000, 2_000_000_000);
  utimesSync(src, 1000, 2_000_000_000);
  t.same(readdirNoatime(dir).sort(), [...names, 'ünï'].sort());
  copyFileNoatime(src, join(root, 'dst'));
  t.equal(statSync(dir).atimeMs, 1_000_000, 'dir atime kept');
  t.equal(statSync(src).atimeMs, 1_000_000, 'source atime kept');
  t.equal(readFileSync(join(root, 'dst')).compare(readFileSync(src)), 0);
  t.throws(() => copyFileNoatime(src, join(root, 'dst')), { code: 'EEXIST' });
  t.throws(() => readdirNoatime(join(root, 'nope')), { code: 'ENOENT' });
});

t.test('rereadDirents rewinds a held dir fd and sees entries added since', async (t) => {
  const d = join(dir, 'reread');
  mkdirSync(d);
  writeFileSync(join(d, 'a'), '');
  const fd = openSync(d, 'r');
  t.teardown(() => closeSync(fd));
  t.same(rereadDirents(fd).map((e) => e.name), ['a']);
  writeFileSync(join(d, 'b'), '');
  t.same(rereadDirents(fd).map((e) => e.name).sort(), ['a', 'b']);
  t.throws(() => rereadDirents(9999, 'nope'), { code: 'EBADF' });
});

t.test('openDirNoAtime fails as every src/sys call does: an OvlError with errno, op and path', async (t) => {
  const missing = join(dir, 'no-such-dir');
  const err = t.throws(() => openDirNoAtime(missing));
  t.ok(err instanceof OvlError);
  t.match(err, { code: 'ENOENT', errno: 2, path: missing, message: `${missing}: open failed: ENOENT` });
  const file = join(dir, 'plain-file');
  writeFileSync(file, '');
  t.match(t.throws(() => openDirNoAtime(file)), { code: 'ENOTDIR', path: file });
  const fd = openDirNoAtime(dir);
  t.ok(fd >= 0);
  closeSync(fd);
});

/** Run `fn` with the effective uid of nobody, so the permission bits apply to it (the tests run as root). */
function asNobody<T>(fn: () => T): T {
  process.seteuid!(65534);
  try {
    return fn();
  } finally {
    process.seteuid!(0);
  }
}

t.test('listDirents fails as every src/sys call does: an unreadable dir and a missing one name the path and errno', async (t) => {
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o700 });
  writeFileSync(join(locked, 'x'), '');
  const err = asNobody(() => t.throws(() => listDirents(locked)));
  t.ok(err instanceof OvlError, 'an OvlError, not node:fs error');
  t.match(err, { code: 'EACCES', errno: 13, path: locked, message: `${locked}: open failed: EACCES` });
  t.same(listDirents(locked).map((e) => e.name), ['x'], 'root may');
  const missing = join(dir, 'no-list');
  t.match(t.throws(() => listDirents(missing)), { name: 'OvlError', code: 'ENOENT', errno: 2, path: missing, message: `${missing}: open failed: ENOENT` });
});

t.test('copyFdData in writeback chunks copies every byte, whatever the size against the chunk', async (t) => {
  const chunk = 4096;
  for (const size of [1, chunk - 1, chunk, chunk + 1, 3 * chunk, 3 * chunk + 5]) {
    const src = join(dir, `wb-src-${size}`);
    const dst = join(dir, `wb-dst-${size}`);
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + 7) & 255;
    writeFileSync(src, data);
    const fdIn = openSync(src, 'r');
    const fdOut = openSync(dst, 'w');
    try {
      copyFdData(fdIn, fdOut, src, size, dst, { writebackEvery: chunk });
    } finally {
      closeSync(fdIn);
      closeSync(fdOut);
    }
    t.ok(readFileSync(dst).equals(data), `${size} bytes`);
  }
});

t.test('copyFileNoatime and copyFdData fail with the errno and the path of the side that failed', async (t) => {
  const src = join(dir, 'copy-src');
  writeFileSync(src, 'data');
  const missing = join(dir, 'copy-missing');
  const dst = join(dir, 'copy-dst');
  t.match(t.throws(() => copyFileNoatime(missing, dst)), { name: 'OvlError', code: 'ENOENT', errno: 2, path: missing, message: `${missing}: open failed: ENOENT` });
  copyFileNoatime(src, dst);
  t.match(t.throws(() => copyFileNoatime(src, dst)), { name: 'OvlError', code: 'EEXIST', errno: 17, path: dst });
  // copy_file_range refuses a char device (EINVAL): the copy by hand's write then fails.
  const fdIn = openSync(src, 'r');
  const fdOut = openSync('/dev/full', 'w');
  t.teardown(() => [fdIn, fdOut].forEach((fd) => closeSync(fd)));
  t.match(t.throws(() => copyFdData(fdIn, fdOut, src, Infinity, '/dev/full')), { name: 'OvlError', code: 'ENOSPC', errno: 28, path: '/dev/full', message: '/dev/full: write failed: ENOSPC' });
});

t.test('readNamesAt: the names of an open directory in getdents order, once each, across buffers', async (t) => {
  const d = join(dir, 'names-at');
  mkdirSync(d);
  // Over 64 KiB of entries (several getdents64 calls), and names that are not ASCII.
  const names = [...Array.from({ length: 2500 }, (_, i) => `m-${i}-${'y'.repeat(40)}`), 'é', '\u{1F600}', '\uFEFFbom'];
  for (const n of names) writeFileSync(join(d, n), '');
  const fd = openDirNoAtime(d);
  try {
    const got = readNamesAt(fd, d);
    t.strictSame(got, listDirents(d).map((e) => e.name), 'the order getdents64 gives, without . and ..');
    t.strictSame([...got].sort(), [...names].sort(), 'every name once');
    t.strictSame(readNamesAt(fd, d), [], 'read from where the fd stands: at the end, nothing more');
  } finally {
    closeSync(fd);
  }
  t.throws(() => readNamesAt(-1, join(d, 'gone')), { code: 'EBADF', message: /names-at\/gone/ });
});

t.test('withDirNames hands the names and the open dir, touching its atime only when asked, and closes it', async (t) => {
  const d = join(dir, 'with');
  mkdirSync(d);
  for (const n of ['p', 'q', 'r']) writeFileSync(join(d, n), n);
  const old = { sec: 1_000_000_000, nsec: 0 };
  setTimes(d, old, old);
  const seen = withDirNames(d, false, (fd, listed) => ({ ...listed, size: fstatSync(fd).size, ino: fstatSync(fd).ino }));
  t.equal(lstatSync(d, { bigint: true }).atimeNs, 1_000_000_000_000_000_000n, 'atime untouched without touchAtime');
  t.same(seen.names, readDirents(d).map((e) => e.name), 'the names in getdents order');
  // Where getdents put '.' and '..' among them: as ls -f shows them.
  const raw = execFileSync('ls', ['-fa', d], { encoding: 'utf8' }).trim().split('\n');
  t.same(seen.dots, ['.', '..'].map((n) => [n, raw.filter((x) => x !== '.' && x !== '..' && raw.indexOf(x) < raw.indexOf(n)).length]), "the places of '.' and '..'");
  t.same(readdirNoatimeDots(d), { names: seen.names, dots: seen.dots }, 'readdirNoatimeDots the same');
  t.equal(seen.ino, statSync(d).ino, 'the fd is the dir');
  setTimes(d, old, old);
  let held = -1;
  withDirNames(d, true, (fd) => (held = fd));
  t.not(lstatSync(d, { bigint: true }).atimeNs, 1_000_000_000_000_000_000n, 'touched as a reader would with it');
  t.throws(() => fstatSync(held), { code: 'EBADF' }, 'closed after use');
  t.throws(() => withDirNames(join(dir, 'nope'), false, () => 0), { code: 'ENOENT', path: join(dir, 'nope') });
});

t.test('dotDotIno: the d_ino getdents gives `..`, which at a mount\'s root is not lstat of `..`', async (t) => {
  const d = join(dir, 'dotdot');
  mkdirSync(join(d, 'sub'), { recursive: true });
  t.equal(dotDotIno(join(d, 'sub')), lstatSync(d, { bigint: true }).ino, 'an ordinary dir: its parent');
  const m = join(d, 'mnt');
  mkdirSync(m);
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', m]);
  t.teardown(() => execFileSync('umount', [m]));
  // tmpfs's root knows no parent outside it: its `..` is itself, where lstat crosses to d.
  t.equal(dotDotIno(m), lstatSync(m, { bigint: true }).ino);
  t.not(dotDotIno(m), lstatSync(d, { bigint: true }).ino);
});

t.test('copyFileNoatime keeps holes, on one filesystem and onto another (a review: 1 GiB sparse became 1 GiB of disk)', async (t) => {
  const src = join(dir, 'sparse-src');
  const fd = openSync(src, 'w');
  const data = Buffer.alloc(8192, 0x5a);
  writeSync(fd, data, 0, data.length, 512 << 20);
  ftruncateSync(fd, 1 << 30);
  closeSync(fd);
  const tmpfs = join(dir, 'sparse-tmpfs');
  mkdirSync(tmpfs);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', tmpfs]);
  t.teardown(() => execFileSync('umount', [tmpfs]));
  for (const dst of [join(dir, 'sparse-dst'), join(tmpfs, 'sparse-dst')]) {
    copyFileNoatime(src, dst);
    const st = statSync(dst);
    t.equal(st.size, 1 << 30, `${dst}: the size`);
    t.ok(st.blocks * 512 <= 64 << 10, `${dst}: ${st.blocks * 512} bytes on disk, not 1 GiB`);
    const got = Buffer.alloc(data.length);
    const rd = openSync(dst, 'r');
    readSync(rd, got, 0, got.length, 512 << 20);
    closeSync(rd);
    t.ok(got.equals(data), `${dst}: the data at its offset`);
  }
});
