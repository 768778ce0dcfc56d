import t from 'tap';
import { ContentHashes } from './content-hashes.js';

t.test('hashes kept as u32 halves print as xxhash-wasm printed them: 16 hex digits, zeros kept', async (t) => {
  const hexes = ['0000000100000002', '00000000000000aa', 'ffffffffffffffff', 'deadbeef00000000', '0123456789abcdef'];
  const h = ContentHashes.fromHex(hexes.map((x, i) => [3 * i, x]));
  t.same(h.entries(), hexes.map((x, i) => [3 * i, x]));
  t.equal(h.size, 5);
  t.same([h.hi(0), h.lo(0)], [1, 2], 'high half first in hex');
  t.equal(h.hex(1), undefined, 'an id never set is unknown');
  t.equal(h.hex(1 << 20), undefined, 'so is one past the table');
});

t.test('same: both hashed and equal in both halves; the table grows without losing what it held', async (t) => {
  const h = new ContentHashes();
  h.set(5, 7, 9);
  h.set(6, 7, 9);
  h.set(7, 7, 8);
  h.set(8, 6, 9);
  h.set(5000, 7, 9);
  h.set(5, 7, 9);
  t.equal(h.size, 5, 'an id set twice counts once');
  t.ok(h.same(5, 6));
  t.ok(h.same(5, 5000), 'across a growth');
  t.notOk(h.same(5, 7), 'low halves equal, high not');
  t.notOk(h.same(5, 8), 'high halves equal, low not');
  t.notOk(h.same(5, 9), 'one of them unknown');
  t.notOk(h.same(9, 10), 'both unknown');
  t.equal(h.hex(5000), '0000000900000007');
});
