import { closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, fstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type RealStat, type StatTimes, type StatxExtras, fstatReal, lstatAtOrNull, lstatReal, lstatRealOrNull } from './real-stat.js';
import { STATX_BTIME, statxOf } from './statx.js';
import { makedev, mknod, setTimes } from './nodes.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-real-stat-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

type Fields = Omit<RealStat, keyof StatTimes | keyof StatxExtras>;
const FIELDS: Array<keyof Fields> = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks', 'atimeNs', 'mtimeNs', 'ctimeNs'];
/** Each field as a bigint, so a record (numbers and bigints) and node's BigIntStats compare field by field. */
const fieldsOf = (st: { [K in keyof Fields]: number | bigint }): Record<string, bigint> => Object.fromEntries(FIELDS.map((k) => [k, BigInt(st[k])]));
/** The times as numbers, from nanoseconds: floor seconds, so the nanoseconds stay in [0, 1e9). */
const timesOf = (st: Pick<Fields, 'atimeNs' | 'mtimeNs' | 'ctimeNs'>): number[] =>
  [st.atimeNs, st.mtimeNs, st.ctimeNs].flatMap((ns) => {
    const s = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
    return [Number(s), Number(ns - s * 1_000_000_000n)];
  });
const numbersOf = (st: RealStat): number[] => [st.atimeSec, st.atimeNsec, st.mtimeSec, st.mtimeNsec, st.ctimeSec, st.ctimeNsec];

t.test('lstatReal gives what node lstatSync(…, {bigint}) gives, for every file type', async (t) => {
  writeFileSync(join(dir, 'f'), 'x'.repeat(5000));
  mkdirSync(join(dir, 'd'));
  symlinkSync('f', join(dir, 'l'));
  mknod(join(dir, 'wh'), 0o020000, 0);
  // Minors past 255 and the largest major and minor Linux has (12 and 20 bits) cover glibc's dev_t layout.
  mknod(join(dir, 'dev'), 0o020640, makedev(259, 70000));
  mknod(join(dir, 'bigdev'), 0o060600, makedev(4095, 0xfffff));
  mknod(join(dir, 'fifo'), 0o010644);
  // Before 1970 with nanoseconds: a negative second count plus a positive nanosecond part.
  setTimes(join(dir, 'f'), { sec: -2, nsec: 500_000_000 }, { sec: 1_700_000_000, nsec: 123_456_789 });
  for (const name of ['f', 'd', 'l', 'wh', 'dev', 'bigdev', 'fifo', '.']) {
    const p = join(dir, name);
    const [ours, node] = [lstatReal(p), lstatSync(p, { bigint: true })];
    t.same(fieldsOf(ours), fieldsOf(node), name);
    t.same(numbersOf(ours), timesOf(node), `${name}: times as numbers`);
  }
  t.same(numbersOf(lstatReal(join(dir, 'f'))).slice(0, 4), [-2, 500_000_000, 1_700_000_000, 123_456_789]);
  t.equal(lstatReal(join(dir, 'f')).atimeNs, -1_500_000_000n);
  t.equal(BigInt(lstatReal(join(dir, 'bigdev')).rdev), makedev(4095, 0xfffff));
});

t.test('lstatRealOrNull: null when nothing is there, an error naming the path otherwise', async (t) => {
  t.equal(lstatRealOrNull(join(dir, 'missing')), null);
  t.same(fieldsOf(lstatRealOrNull(join(dir, 'f'))!), fieldsOf(lstatSync(join(dir, 'f'), { bigint: true })));
  t.throws(() => lstatReal(join(dir, 'missing')), { code: 'ENOENT', path: join(dir, 'missing') });
  t.throws(() => lstatRealOrNull(join(dir, 'f', 'x')), { code: 'ENOTDIR', path: join(dir, 'f', 'x') });
  t.throws(() => lstatReal(join(dir, 'f', 'x')), { code: 'ENOTDIR', path: join(dir, 'f', 'x') });
  t.throws(() => lstatReal(join(dir, 'n'.repeat(300))), { code: 'ENAMETOOLONG' });
});

t.test('fstatReal of an open file, also once its name is gone', async (t) => {
  const p = join(dir, 'gone');
  writeFileSync(p, 'abc');
  utimesSync(p, 1000, 2000);
  const fd = openSync(p, 'r');
  t.teardown(() => closeSync(fd));
  unlinkSync(p);
  const st = fstatReal(fd);
  t.same(fieldsOf(st), fieldsOf(fstatSync(fd, { bigint: true })));
  t.same(numbersOf(st), timesOf(fstatSync(fd, { bigint: true })));
  t.equal(st.nlink, 0);
  t.equal(st.size, 3n);
  t.equal(st.mtimeNs, 2_000_000_000_000n);
  t.throws(() => fstatReal(987654), { code: 'EBADF', path: 'fd 987654' });
});

t.test('the birth time and attribute bits are statx\'s, and none is left over from another file', async (t) => {
  const p = join(dir, 'born');
  writeFileSync(p, 'b');
  const st = lstatReal(p);
  const sx = statxOf(p);
  t.ok(st.mask & STATX_BTIME, 'tmpfs gives a birth time');
  t.equal(BigInt(st.btimeSec) * 1_000_000_000n + BigInt(st.btimeNsec), sx.btimeNs);
  t.equal(st.attributes, Number(sx.attributes));
  t.equal(st.attributesMask, Number(sx.attributesMask));
  // procfs has no birth time: zero, not the previous file's (the buffer is reused).
  const proc = lstatReal('/proc/self/status');
  t.notOk(proc.mask & STATX_BTIME);
  t.same([proc.btimeSec, proc.btimeNsec], [0, 0]);
});

t.test('lstatAtOrNull stats a name through its dir fd as lstatRealOrNull does by path', async (t) => {
  const sub = join(dir, 'at');
  mkdirSync(sub);
  writeFileSync(join(sub, 'f'), 'y'.repeat(70));
  symlinkSync('f', join(sub, 'l'));
  mkdirSync(join(sub, 'd'));
  const fd = openSync(sub, 'r');
  t.teardown(() => closeSync(fd));
  for (const name of ['f', 'l', 'd']) {
    const p = join(sub, name);
    t.same(fieldsOf(lstatAtOrNull(fd, name, p)!), fieldsOf(lstatRealOrNull(p)!), name);
  }
  t.equal(lstatAtOrNull(fd, 'missing', join(sub, 'missing')), null, 'nothing there: null');
  t.throws(() => lstatAtOrNull(fd, 'f/x', join(sub, 'f/x')), { code: 'ENOTDIR', path: join(sub, 'f/x') }, 'other errors name the full path');
});
