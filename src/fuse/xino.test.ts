// InoMap's decisions from the layers' filesystems (xino.ts), checked against what kernel 6.18's
// xino=on does on this machine (test/fuse/xino.test.ts compares through real mounts).
import t from 'tap';
import type { Layer } from './layers.js';
import { InoMap } from './xino.js';

const EXT4 = 0xef53;
const SQUASHFS = 0x73717368;
const TMPFS = 0x01021994;
const layer = (index: number): Layer => ({ index, root: `/l${index}`, upper: index === 0, mounts: [], clone: null, via: null, covered: null });

t.test('all layers on one filesystem (bind mounts of one count once): numbers unmapped', async (t) => {
  const m = new InoMap([1, 1, 1], true, () => [TMPFS, TMPFS, TMPFS]);
  t.equal(m.shift, 0);
  t.equal(m.of(5n, layer(2)), 5n);
  t.equal(new InoMap([7, 7], false, () => [EXT4, EXT4]).shift, 0, 'read-only, two lowers on one filesystem');
  t.equal(new InoMap([1, 1], true, () => t.fail('no statfs asked') as never).shift, 0, 'the filesystems\' types are not asked for');
});

t.test('ext2/3/4 and squashfs keep 32 bits free: the kernel\'s ino | fsid << 33', async (t) => {
  const m = new InoMap([1, 2, 1, 3], true, () => [EXT4, SQUASHFS, EXT4, EXT4]);
  t.equal(m.shift, 33);
  t.equal(m.of(5n, layer(0)), 5n, 'the upper is fsid 0');
  t.equal(m.of(5n, layer(1)), 5n | (1n << 33n));
  t.equal(m.of(5n, layer(2)), 5n, 'a lower on the upper\'s filesystem is fsid 0 too');
  t.equal(m.of(5n, layer(3)), 5n | (2n << 33n));
  t.equal(m.onDev(5n, 3), 5n | (2n << 33n), 'an origin decoded on dev 3');
});

t.test('a read-only mount numbers its lowers from fsid 1', async (t) => {
  const m = new InoMap([1, 2], false, () => [EXT4, EXT4]);
  t.equal(m.of(2n, layer(0)), 2n | (1n << 33n));
  t.equal(m.of(2n, layer(1)), 2n | (2n << 33n));
});

t.test('other filesystems: ilog2(count - 1) + 2 bits, at the top of 53 bits (the kernel: of 64)', async (t) => {
  const m = new InoMap([1, 2], true, () => [TMPFS, TMPFS]);
  t.equal(m.shift, 52, '2 bits, the fsid from bit 52');
  t.equal(m.of(3n, layer(1)), 3n | (1n << 52n));
  t.ok(m.of(3n, layer(1)) < 2n ** 53n, 'a JS number holds it exactly');
  const five = new InoMap([1, 2, 3, 4, 5, 6], true, () => Array(6).fill(TMPFS));
  t.equal(five.shift, 50, '4 bits for fsids 1–5');
  t.ok(five.of(1n, layer(5)) < 2n ** 53n);
});

t.test('a data-only layer counts in the 32-bit decision, not as a filesystem', async (t) => {
  const m = new InoMap([1, 2], true, () => [EXT4, EXT4, TMPFS]);
  t.equal(m.shift, 52, 'a tmpfs data layer: not all 32-bit');
  const one = new InoMap([1, 1], true, () => [EXT4, EXT4, TMPFS]);
  t.equal(one.shift, 0, 'the data layer on another filesystem alone: one filesystem');
});

t.test('a number that already uses the fsid bits gets one of the reserved range, the same each time, and never another\'s', async (t) => {
  const m = new InoMap([1, 2], true, () => [TMPFS, TMPFS]);
  const big = (1n << 52n) | 5n;
  const a = m.of(big, layer(1));
  t.equal(m.of(big, layer(1)), a, 'stable while mounted');
  t.equal(a >> 51n, 1n, 'the reserved bit below the fsid');
  t.not(a, m.of(5n, layer(1)));
  t.not(m.of(big, layer(0)), big, 'an upper number too (fsid 0 is checked as any)');
  t.not(m.of(big, layer(0)), a);
});
