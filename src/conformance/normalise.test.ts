import t from 'tap';
import { Normaliser, normaliseLayerXattrs, normTime } from './normalise.js';
import type { RawStat } from './raw.js';

const raw = (over: Partial<RawStat> = {}): RawStat => ({
  mode: 0o100644,
  size: 3,
  nlink: 1,
  uid: 0,
  gid: 0,
  ino: '42',
  rdev: 0,
  atimeNs: '1000000000000000000',
  mtimeNs: '1000000000000000000',
  ...over,
});

t.test('times set on purpose stay exact, anything a write stamped is "now"', async (t) => {
  t.equal(normTime('1000000000000000000'), 1_000_000_000);
  t.equal(normTime('1000000000500000000'), 1_000_000_000.5);
  t.equal(normTime(String(BigInt(Date.now()) * 1_000_000n)), 'now');
});

t.test('inode numbers become the place they were first seen', async (t) => {
  const n = new Normaliser();
  t.equal(n.stat(raw(), 'op1').ino, 'op1');
  t.equal(n.stat(raw({ ino: '7' }), 'op2').ino, 'op2');
  t.equal(n.stat(raw(), 'merged:a').ino, 'op1');
});

t.test('types, modes and devices are spelled out; dirs have no size', async (t) => {
  const n = new Normaliser();
  t.match(n.stat(raw({ mode: 0o040755 }), 's'), { type: 'dir', mode: '0755', size: undefined });
  t.match(n.stat(raw({ mode: 0o020644, rdev: 0x103 }), 's'), { type: 'chr', rdev: '1:3' });
  // In a layer, a whiteout: its links compared (unlink and rmdir share one per mount, spec S20).
  t.same(n.stat(raw({ mode: 0o020000, rdev: 0, nlink: 5 }), 's', { layer: true }), { type: 'whiteout', mode: '0000', nlink: 5, ino: 's' });
  t.match(n.stat(raw({ mode: 0o020000, rdev: 0 }), 's'), { type: 'chr', rdev: '0:0' });
});

t.test('kernel-internal xattr values keep their presence only', async (t) => {
  t.same(normaliseLayerXattrs({ 'trusted.overlay.origin': 'hex:00fb', 'trusted.overlay.uuid': 'hex:' + 'ab'.repeat(16), 'trusted.overlay.opaque': 'y', 'user.a': 'v' }), {
    'trusted.overlay.origin': '<file handle>',
    'trusted.overlay.uuid': '<uuid>',
    'trusted.overlay.opaque': 'y',
    'user.a': 'v',
  });
  t.same(normaliseLayerXattrs({ 'user.overlay.uuid': 'hex:0011' }), { 'user.overlay.uuid': '<2-byte uuid>' }, 'a uuid must be 16 bytes');
  t.same(normaliseLayerXattrs({ 'trusted.overlay.origin': '' }), { 'trusted.overlay.origin': '' }, 'empty origin means "unknown" and is kept');
});
