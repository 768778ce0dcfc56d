// Encoders against the byte layouts of include/uapi/linux/fuse.h.
import t from 'tap';
import type { Attr } from '../session/filesystem.js';
import {
  direntPlusSize,
  encodeAttrOut,
  encodeDirent,
  encodeDirentPlus,
  encodeEntry,
  encodeNotifyInvalEntry,
  encodeNotifyInvalInode,
  encodeOpenOut,
  encodeOutHeader,
  encodeStatfs,
  encodeStatxOut,
  encodeIoctlOut,
  encodeU64Out,
} from './replies.js';
import { decodeName } from '../../format/byte-names.js';
import { FUSE_EXPIRE_ONLY } from './constants.js';

const attr: Attr = {
  ino: 2 ** 40 + 1, size: 5000, blocks: 16, atimeSec: 1, atimeNsec: 2, mtimeSec: 3, mtimeNsec: 4,
  ctimeSec: -1, ctimeNsec: 6, mode: 0o100644, nlink: 2, uid: 1000, gid: 100, rdev: 0, blksize: 4096,
};

t.test('fuse_out_header', async (t) => {
  const b = Buffer.alloc(16);
  encodeOutHeader(b, 16, -2, 2 ** 32 + 9);
  t.same([b.readUInt32LE(0), b.readInt32LE(4), b.readBigUInt64LE(8)], [16, -2, 2n ** 32n + 9n]);
});

t.test('fuse_entry_out: ids, validity as sec + nsec, then fuse_attr', async (t) => {
  const b = Buffer.alloc(128);
  t.equal(encodeEntry(b, 0, { nodeid: 7, generation: 1, entryValidMs: 60_000, attrValidMs: 1500, attr }), 128);
  t.equal(b.readBigUInt64LE(0), 7n);
  t.equal(b.readBigUInt64LE(8), 1n);
  t.equal(b.readBigUInt64LE(16), 60n);
  t.equal(b.readBigUInt64LE(24), 1n);
  t.equal(b.readUInt32LE(32), 0);
  t.equal(b.readUInt32LE(36), 500_000_000);
  const a = 40;
  t.equal(b.readBigUInt64LE(a), 2n ** 40n + 1n, 'ino');
  t.equal(b.readBigUInt64LE(a + 8), 5000n, 'size');
  t.equal(b.readBigUInt64LE(a + 16), 16n, 'blocks');
  t.equal(b.readBigInt64LE(a + 40), -1n, 'ctime');
  t.equal(b.readUInt32LE(a + 56), 6, 'ctimensec');
  t.equal(b.readUInt32LE(a + 60), 0o100644, 'mode');
  t.equal(b.readUInt32LE(a + 64), 2, 'nlink');
  t.equal(b.readUInt32LE(a + 68), 1000, 'uid');
  t.equal(b.readUInt32LE(a + 80), 4096, 'blksize');
});

t.test('fuse_attr_out and fuse_open_out', async (t) => {
  const b = Buffer.alloc(104);
  t.equal(encodeAttrOut(b, 0, { attrValidMs: 0, attr }), 104);
  t.equal(b.readUInt32LE(16 + 60), 0o100644);
  const o = Buffer.alloc(16);
  encodeOpenOut(o, 0, { fh: 3, openFlags: 0b1010, backingId: 5 });
  t.same([o.readBigUInt64LE(0), o.readUInt32LE(8), o.readInt32LE(12)], [3n, 10, 5]);
});

t.test('fuse_kstatfs', async (t) => {
  const b = Buffer.alloc(80, 1);
  encodeStatfs(b, 0, { blocks: 10, bfree: 9, bavail: 8, files: 7, ffree: 6, bsize: 4096, namelen: 255, frsize: 4096 });
  t.same([b.readBigUInt64LE(32), b.readUInt32LE(40), b.readUInt32LE(44), b.readUInt32LE(48), b.readUInt32LE(52)], [6n, 4096, 255, 4096, 0]);
});

t.test('fuse_dirent: padded to 8, off is the next cookie, -1 when it does not fit', async (t) => {
  const b = Buffer.alloc(64, 0xff);
  const end = encodeDirent(b, 0, 64, { name: 'abc', ino: 9, type: 8, off: 3 });
  t.equal(end, 32);
  t.same([b.readBigUInt64LE(0), b.readBigUInt64LE(8), b.readUInt32LE(16), b.readUInt32LE(20)], [9n, 3n, 3, 8]);
  t.equal(b.toString('utf8', 24, 27), 'abc');
  t.ok(b.subarray(27, 32).every((x) => x === 0), 'padding zeroed');
  t.equal(encodeDirent(b, 32, 64, { name: 'x'.repeat(9), ino: 1, type: 4, off: 4 }), -1);
});

t.test('fuse_dirent: names outside ASCII go as UTF-8, their length in bytes', async (t) => {
  for (const name of ['é', 'ünï', 'a\u00ff', '😀x', 'x'.repeat(7) + 'é']) {
    const bytes = Buffer.from(name, 'utf8');
    const b = Buffer.alloc(64, 0xff);
    const end = encodeDirent(b, 0, 64, { name, ino: 1, type: 8, off: 1 });
    t.equal(b.readUInt32LE(16), bytes.length, `${name}: namelen`);
    t.same(b.subarray(24, 24 + bytes.length), bytes, `${name}: bytes`);
    t.equal(end, 24 + Math.ceil(bytes.length / 8) * 8, `${name}: padded end`);
    t.ok(b.subarray(24 + bytes.length, end).every((x) => x === 0), `${name}: padding zeroed`);
    t.equal(direntPlusSize(name), 128 + end, `${name}: direntplus size`);
  }
});

t.test('fuse_dirent and NOTIFY_INVAL_ENTRY: a name that is not UTF-8 goes as its own bytes', async (t) => {
  // ASCII with an escaped byte (one byte a character), and é beside one (the slow path).
  for (const raw of [[0x63, 0x61, 0x66, 0xe9], [0xc3, 0xa9, 0xff], [0x78, 0xf0, 0x9f, 0x98, 0x80, 0xfe]]) {
    const bytes = Buffer.from(raw);
    const name = decodeName(bytes);
    const b = Buffer.alloc(64, 0xff);
    const end = encodeDirent(b, 0, 64, { name, ino: 1, type: 8, off: 1 });
    t.equal(b.readUInt32LE(16), bytes.length, `${bytes.toString('hex')}: namelen`);
    t.same(b.subarray(24, 24 + bytes.length), bytes, `${bytes.toString('hex')}: bytes`);
    t.equal(direntPlusSize(name), 128 + end, 'direntplus size');
    const n = Buffer.alloc(64, 0xff);
    t.equal(encodeNotifyInvalEntry(n, 1, name), 32 + bytes.length + 1, 'notify length');
    t.same([n.readUInt32LE(24), n.subarray(32, 32 + bytes.length), n[32 + bytes.length]], [bytes.length, bytes, 0], 'notify namelen, bytes, NUL');
  }
});

t.test('fuse_direntplus: entry_out then dirent', async (t) => {
  t.equal(direntPlusSize('abc'), 128 + 32);
  const b = Buffer.alloc(160);
  t.equal(encodeDirentPlus(b, 0, { nodeid: 0, generation: 0, entryValidMs: 0, attrValidMs: 0, attr }, { name: '..', ino: 1, type: 4, off: 2 }), 160);
  t.equal(b.readBigUInt64LE(0), 0n, 'nodeid 0');
  t.equal(b.readUInt32LE(40 + 60), 0, 'attr zeroed for nodeid 0');
  t.equal(b.toString('utf8', 128 + 24, 128 + 26), '..');
});

t.test('notifications: unique 0, the code in the error field', async (t) => {
  const b = Buffer.alloc(64);
  t.equal(encodeNotifyInvalInode(b, 5, 0, -1), 40);
  t.same([b.readUInt32LE(0), b.readInt32LE(4), b.readBigUInt64LE(8), b.readBigUInt64LE(16), b.readBigInt64LE(32)], [40, 2, 0n, 5n, -1n]);
  t.equal(encodeNotifyInvalEntry(b, 1, 'name'), 16 + 16 + 5);
  t.same([b.readInt32LE(4), b.readBigUInt64LE(16), b.readUInt32LE(24), b.readUInt32LE(28), b.toString('utf8', 32, 36), b[36]], [3, 1n, 4, 0, 'name', 0]);
  t.equal(encodeNotifyInvalEntry(b, 7, 'name', FUSE_EXPIRE_ONLY), 16 + 16 + 5);
  t.same([b.readBigUInt64LE(16), b.readUInt32LE(28)], [7n, 1], 'flags: FUSE_EXPIRE_ONLY is bit 0');
});

t.test('fuse_statx_out: validity, then struct fuse_statx laid out as struct statx', async (t) => {
  const b = Buffer.alloc(288, 0xff);
  const dev = { ...attr, mode: 0o20600, rdev: (0x1234 & 0xff) | (0x105 << 8) | ((0x1234 & ~0xff) << 12) };
  const r = { attrValidMs: 2500, attr: dev, mask: 0xfff, btimeSec: -2, btimeNsec: 7, attributes: 0x20, attributesMask: 0x2000 };
  t.equal(encodeStatxOut(b, 0, r), 288);
  t.same([b.readBigUInt64LE(0), b.readUInt32LE(8), b.readUInt32LE(12)], [2n, 500_000_000, 0], 'attr_valid, nsec, flags');
  t.ok(b.subarray(16, 32).every((x) => x === 0), 'spare zeroed');
  const s = 32;
  t.same([b.readUInt32LE(s), b.readUInt32LE(s + 4), b.readBigUInt64LE(s + 8)], [0xfff, 4096, 0x20n], 'mask, blksize, attributes');
  t.same([b.readUInt32LE(s + 16), b.readUInt32LE(s + 20), b.readUInt32LE(s + 24), b.readUInt16LE(s + 28), b.readUInt16LE(s + 30)],
    [2, 1000, 100, 0o20600, 0], 'nlink, uid, gid, mode, spare');
  t.same([b.readBigUInt64LE(s + 32), b.readBigUInt64LE(s + 40), b.readBigUInt64LE(s + 48), b.readBigUInt64LE(s + 56)],
    [2n ** 40n + 1n, 5000n, 16n, 0x2000n], 'ino, size, blocks, attributes_mask');
  const time = (o: number) => [b.readBigInt64LE(o), b.readUInt32LE(o + 8), b.readInt32LE(o + 12)];
  t.same(time(s + 64), [1n, 2, 0], 'atime');
  t.same(time(s + 80), [-2n, 7, 0], 'btime');
  t.same(time(s + 96), [-1n, 6, 0], 'ctime');
  t.same(time(s + 112), [3n, 4, 0], 'mtime');
  t.same([b.readUInt32LE(s + 128), b.readUInt32LE(s + 132)], [0x105, 0x1234], 'rdev split into major, minor');
  t.ok(b.subarray(s + 136, 288).every((x) => x === 0), 'dev and spare zeroed');
});

t.test('sizes past 2^53 (bigints) go out whole: fuse_attr, fuse_statx, fuse_lseek_out', async (t) => {
  const b = Buffer.alloc(288, 0xee);
  for (const size of [2n ** 53n + 1n, 2n ** 63n - 1n]) {
    encodeAttrOut(b, 0, { attrValidMs: 0, attr: { ...attr, size } });
    t.equal(b.readBigUInt64LE(16 + 8), size, `fuse_attr size ${size}`);
    encodeStatxOut(b, 0, { attrValidMs: 0, attr: { ...attr, size }, mask: 0, btimeSec: 0, btimeNsec: 0, attributes: 0, attributesMask: 0 });
    t.equal(b.readBigUInt64LE(32 + 40), size, `fuse_statx size ${size}`);
    t.equal(encodeU64Out(b, 8, size), 16);
    t.equal(b.readBigUInt64LE(8), size, `fuse_lseek_out ${size}`);
  }
});

t.test('fuse_ioctl_out: result 0, no retry or iovecs, then the value', async (t) => {
  const b = Buffer.alloc(32, 0xee);
  t.equal(encodeIoctlOut(b, 4, Buffer.from([1, 2, 3, 4])), 24);
  t.ok(b.subarray(4, 20).every((x) => x === 0), 'result, flags, in_iovs, out_iovs zero');
  t.same([...b.subarray(20, 24)], [1, 2, 3, 4]);
  t.equal(b[24], 0xee, 'nothing past the value');
});
