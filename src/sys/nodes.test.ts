import { closeSync, lstatSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isCharWhiteout } from '../format/index.js';
import { makeWhiteout, makedev, mknod, rename2, setTimes, timeFromNs } from './nodes.js';
import { timesOf } from './statx.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-nodes-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('makeWhiteout creates char 0/0 mode 0000, as the kernel does', async (t) => {
  const w = join(dir, 'wh');
  makeWhiteout(w);
  const st = lstatSync(w);
  t.ok(st.isCharacterDevice());
  t.equal(st.rdev, 0);
  t.equal(st.mode & 0o7777, 0);
  t.ok(isCharWhiteout(st));
  t.throws(() => makeWhiteout(w), { code: 'EEXIST', path: w });
});

t.test('mknod makes fifos and real devices', async (t) => {
  mknod(join(dir, 'fifo'), 0o010644);
  t.ok(lstatSync(join(dir, 'fifo')).isFIFO());
  mknod(join(dir, 'null'), 0o020666, makedev(1, 3));
  const st = lstatSync(join(dir, 'null'));
  t.equal(st.rdev, 0x103);
  t.notOk(isCharWhiteout(st));
  // Values from glibc's makedev (python3 os.makedev), covering the split major/minor bit layout.
  t.equal(makedev(259, 70000), 0x11110370n);
  t.equal(makedev(4096, 1), 0x100000000001n);
});

t.test('rename2 flags: noreplace, exchange, whiteout', async (t) => {
  const [a, b] = [join(dir, 'a'), join(dir, 'b')];
  writeFileSync(a, 'A');
  writeFileSync(b, 'B');
  t.throws(() => rename2(a, b, ['noreplace']), { code: 'EEXIST' });
  rename2(a, b, ['exchange']);
  t.equal(readFileSync(a, 'utf8'), 'B');
  t.equal(readFileSync(b, 'utf8'), 'A');
  rename2(a, join(dir, 'c'), ['whiteout']);
  t.ok(isCharWhiteout(lstatSync(a)), 'a whiteout is left at the source');
  t.equal(readFileSync(join(dir, 'c'), 'utf8'), 'B');
});

t.test('setTimes keeps nanoseconds, honours omit and does not follow symlinks', async (t) => {
  const f = join(dir, 'timed');
  writeFileSync(f, '');
  setTimes(f, { sec: 1_000_000_000, nsec: 123_456_789 }, { sec: 1_100_000_000, nsec: 987_654_321 });
  let st = lstatSync(f, { bigint: true });
  t.equal(st.atimeNs, 1_000_000_000_123_456_789n);
  t.equal(st.mtimeNs, 1_100_000_000_987_654_321n);
  setTimes(f, 'omit', timeFromNs(5_000_000_001n));
  st = lstatSync(f, { bigint: true });
  t.equal(st.atimeNs, 1_000_000_000_123_456_789n, 'omit leaves atime');
  t.equal(st.mtimeNs, 5_000_000_001n);
  const l = join(dir, 'ln');
  symlinkSync(f, l);
  setTimes(l, { sec: 7, nsec: 0 }, { sec: 8, nsec: 0 });
  t.equal(lstatSync(l, { bigint: true }).mtimeNs, 8_000_000_000n);
  t.equal(lstatSync(f, { bigint: true }).mtimeNs, 5_000_000_001n, 'the target is untouched');
});

t.test('setTimes on an open fd sets its file times to the nanosecond (futimens)', async (t) => {
  const f = join(dir, 'timed-fd');
  writeFileSync(f, '');
  const fd = openSync(f, 'r');
  t.teardown(() => closeSync(fd));
  setTimes(fd, timeFromNs(3_000_000_007n), timeFromNs(4_000_000_009n));
  const st = lstatSync(f, { bigint: true });
  t.equal(st.atimeNs, 3_000_000_007n);
  t.equal(st.mtimeNs, 4_000_000_009n);
});

t.test('timesOf reads atime and mtime to the nanosecond, of a symlink itself, and null for a missing path', async (t) => {
  const f = join(dir, 'times-of');
  writeFileSync(f, '');
  setTimes(f, { sec: 1_000_000_000, nsec: 123_456_789 }, { sec: 5_000_000_000, nsec: 999_999_999 });
  t.same(timesOf(f), [
    { sec: 1_000_000_000, nsec: 123_456_789 },
    { sec: 5_000_000_000, nsec: 999_999_999 },
  ]);
  setTimes(f, { sec: -2, nsec: 500 }, { sec: 0, nsec: 1 });
  t.same(timesOf(f), [
    { sec: -2, nsec: 500 },
    { sec: 0, nsec: 1 },
  ], 'times before 1970 keep their sign');
  const l = join(dir, 'times-of-ln');
  symlinkSync(f, l);
  setTimes(l, { sec: 7, nsec: 70 }, { sec: 8, nsec: 80 });
  t.same(timesOf(l)![1], { sec: 8, nsec: 80 }, 'the link, not its target');
  const [a, m] = timesOf(l)!;
  setTimes(f, a, m);
  t.equal(lstatSync(f, { bigint: true }).mtimeNs, 8_000_000_080n, 'what setTimes takes back');
  t.equal(timesOf(join(dir, 'no-such')), null);
  t.throws(() => timesOf(join(f, 'below-a-file')), { code: 'ENOTDIR' });
});
