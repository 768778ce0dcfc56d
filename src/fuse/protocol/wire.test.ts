import t from 'tap';
import {
  align8, readI32, readI64, readI64Exact, readName, readU16, readU32, readU64, readU64Exact, write16, write32, writeI64,
  writeU64Exact, writeValid,
} from './wire.js';

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

t.test('sizes and offsets: exact numbers below 2^53, bigints from 2^53 to 2^63 - 1 and past -2^53', async (t) => {
  const b = Buffer.alloc(8);
  const max = 2n ** 63n - 1n;
  // Below 2^53 a number (the common path sees no bigint); from 2^53 on a bigint, every bit kept.
  for (const [v, want] of [[2n ** 53n - 1n, 2 ** 53 - 1], [2n ** 53n, 2n ** 53n], [2n ** 53n + 1n, 2n ** 53n + 1n],
    [max - 1n, max - 1n], [max, max], [2n ** 32n + 7n, 2 ** 32 + 7]] as const) {
    b.writeBigUInt64LE(v);
    t.equal(readU64Exact(b, 0), want, `u64 ${v}`);
    t.equal(readI64Exact(b, 0), want, `i64 ${v}`);
    b.fill(0xee);
    writeU64Exact(b, 0, want);
    t.equal(b.readBigUInt64LE(0), v, `written ${v}`);
  }
  for (const [v, want] of [[-1n, -1], [-(2n ** 53n), -(2 ** 53)], [-(2n ** 53n) - 1n, -(2n ** 53n) - 1n], [-max - 1n, -max - 1n]] as const) {
    b.writeBigInt64LE(v);
    t.equal(readI64Exact(b, 0), want, `i64 ${v}`);
    b.fill(0xee);
    writeU64Exact(b, 0, want);
    t.equal(b.readBigInt64LE(0), v, `written ${v}`);
  }
  // The rounding the number readers still do there (node ids, handles): what the exact ones avoid.
  b.writeBigUInt64LE(2n ** 53n + 1n);
  t.equal(readU64(b, 0), 2 ** 53);
});

t.test('16- and 32-bit fields by byte agree with Buffer\'s little-endian methods', async (t) => {
  const b = Buffer.alloc(12, 0xee);
  for (const v of [0, 1, 0x7f, 0x80, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xdeadbeef, 2 ** 32 - 1]) {
    write32(b, 4, v);
    t.equal(b.readUInt32LE(4), v, `u32 ${v}`);
    t.equal(readU32(b, 4), v);
    t.equal(readI32(b, 4), b.readInt32LE(4));
  }
  // A reply's error is a negative errno: two's complement, as writeInt32LE wrote it.
  for (const v of [-1, -38, -(2 ** 31)]) {
    write32(b, 4, v);
    t.equal(b.readInt32LE(4), v, `i32 ${v}`);
    t.equal(readI32(b, 4), v);
  }
  for (const v of [0, 0x1234, 0xffff]) {
    write16(b, 2, v);
    t.equal(b.readUInt16LE(2), v, `u16 ${v}`);
    t.equal(readU16(b, 2), v);
  }
  t.same([...b.subarray(0, 2), ...b.subarray(8)], [0xee, 0xee, 0xee, 0xee, 0xee, 0xee], 'nothing written outside the field');
});

t.test('a name that is not UTF-8 is read as its bytes', async (t) => {
  const b = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0, 0x64, 0xff, 0]);
  const first = readName(b, 0, b.length);
  t.same(first, { name: 'caf\udce9', next: 5 });
  t.equal(readName(b, first.next, b.length).name, 'd\udcff');
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
