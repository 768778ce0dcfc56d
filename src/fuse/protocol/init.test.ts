import t from 'tap';
import { InitFlag } from './constants.js';
import { encodeInitOut, negotiate, wantedFlags } from './init.js';

const OFFERED_6_18 = 0x73fffffbn | (0x7ffn << 32n);

t.test('grants only flags the kernel offered and answers the smaller minor', async (t) => {
  const r = negotiate({ major: 7, minor: 45, maxReadahead: 131072, flags: OFFERED_6_18 }, { flags: wantedFlags(true), maxWrite: 1 << 20, maxStackDepth: 1 });
  t.equal(r.minor, 45);
  t.equal(r.flags & ~OFFERED_6_18, 0n, 'nothing beyond the offer');
  t.ok(r.flags & InitFlag.DO_READDIRPLUS);
  t.ok(r.flags & InitFlag.PASSTHROUGH);
  t.ok(r.flags & InitFlag.DIRECT_IO_ALLOW_MMAP, 'a direct open may be mapped MAP_SHARED');
  t.notOk(wantedFlags(false) & InitFlag.DIRECT_IO_ALLOW_MMAP, 'no direct opens without passthrough');
  t.notOk(r.flags & InitFlag.WRITEBACK_CACHE);
  t.ok(r.flags & InitFlag.POSIX_ACL, 'the kernel checks ACLs');
  t.ok(r.flags & InitFlag.DONT_MASK, 'modes arrive without the umask');
  t.equal(r.maxPages, 256);
  t.equal(r.maxStackDepth, 1);
  const newer = negotiate({ major: 7, minor: 99, maxReadahead: 0, flags: OFFERED_6_18 }, { flags: 0n, maxWrite: 1 << 20, maxStackDepth: 1 });
  t.equal(newer.minor, 45, 'a newer kernel gets the minor we know');
});

t.test('without INIT_EXT in the offer the second word is dropped; without MAX_PAGES max_write shrinks', async (t) => {
  const r = negotiate({ major: 7, minor: 31, maxReadahead: 0, flags: InitFlag.BIG_WRITES | InitFlag.PASSTHROUGH }, { flags: wantedFlags(true), maxWrite: 1 << 20, maxStackDepth: 1 });
  t.equal(r.flags, InitFlag.BIG_WRITES);
  t.equal(r.maxPages, 0);
  t.equal(r.maxWrite, 128 * 1024);
  t.equal(r.maxStackDepth, 0);
});

t.test('a kernel too old is an EPROTO naming both versions', async (t) => {
  t.throws(() => negotiate({ major: 7, minor: 27, maxReadahead: 0, flags: 0n }, { flags: 0n, maxWrite: 4096, maxStackDepth: 0 }), { name: 'OvlError', code: 'EPROTO', message: /7\.27; ovl-fuse needs 7\.28/ });
  t.throws(() => negotiate({ major: 8, minor: 0, maxReadahead: 0, flags: 0n }, { flags: 0n, maxWrite: 4096, maxStackDepth: 0 }), /8\.0/);
});

t.test('fuse_init_out layout (64 bytes)', async (t) => {
  const b = Buffer.alloc(80, 0xee);
  const end = encodeInitOut(b, 16, { major: 7, minor: 45, maxReadahead: 0x20000, flags: 0x40002000n | (1n << 37n), maxWrite: 1 << 20, maxPages: 256, maxStackDepth: 1, timeGran: 1 });
  t.equal(end, 80);
  const o = 16;
  t.equal(b.readUInt32LE(o), 7);
  t.equal(b.readUInt32LE(o + 4), 45);
  t.equal(b.readUInt32LE(o + 8), 0x20000);
  t.equal(b.readUInt32LE(o + 12), 0x40002000, 'flags');
  t.equal(b.readUInt16LE(o + 16), 0, 'max_background');
  t.equal(b.readUInt32LE(o + 20), 1 << 20, 'max_write');
  t.equal(b.readUInt32LE(o + 24), 1, 'time_gran');
  t.equal(b.readUInt16LE(o + 28), 256, 'max_pages');
  t.equal(b.readUInt32LE(o + 32), 1 << 5, 'flags2');
  t.equal(b.readUInt32LE(o + 36), 1, 'max_stack_depth');
  t.ok(b.subarray(o + 40, o + 64).every((x) => x === 0), 'unused zeroed');
});
