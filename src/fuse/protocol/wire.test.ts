import t from 'tap';
import { align8, readI64, readName, readU64, writeI64, writeValid } from './wire.js';

t.test('64-bit fields as two halves round-trip, signed and unsigned', async (t) => {
  const b = Buffer.alloc(8);
  for (const v of [0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 123456789012345]) {
    writeI64(b, 0, v);
    t.equal(b.readBigUInt64LE(0), BigInt(v), `u64 ${v}`);
    t.equal(readU64(b, 0), v);
  }
  for (const v of [-1, -2, -(2 ** 32), -(2 ** 53 - 1)]) {
    writeI64(b, 0, v);
    t.equal(b.readBigInt64LE(0), BigInt(v), `i64 ${v}`);
    t.equal(readI64(b, 0), v);
  }
});

t.test('names end at NUL or at the end of the request', async (t) => {
  const b = Buffer.from('abc\0déf\0xyz');
  const first = readName(b, 0, b.length);
  t.same(first, { name: 'abc', next: 4 });
  t.equal(readName(b, first.next, b.length).name, 'déf');
  t.equal(readName(b, 9, b.length).name, 'xyz');
  t.equal(align8(0), 0);
  t.equal(align8(1), 8);
  t.equal(align8(24 + 3), 32);
});

t.test('milliseconds become seconds + nanoseconds', async (t) => {
  const b = Buffer.alloc(16);
  writeValid(b, 0, 8, 60_500);
  t.equal(readU64(b, 0), 60);
  t.equal(b.readUInt32LE(8), 500_000_000);
});
