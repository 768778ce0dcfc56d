// Decoders against hand-built byte layouts, offsets as in include/uapi/linux/fuse.h.
import t from 'tap';
import { IN_HEADER_SIZE, Op } from './constants.js';
import {
  decodeBatchForget,
  decodeCopyFileRange,
  decodeCreate,
  decodeFallocate,
  decodeGetattr,
  decodeGetxattr,
  decodeInHeader,
  decodeInit,
  decodeLink,
  decodeIoctl,
  decodeLseek,
  decodeMkdir,
  decodeMknod,
  decodeOpen,
  decodeRead,
  decodeRelease,
  decodeRename,
  decodeSetattr,
  decodeSetxattr,
  decodeStatx,
  decodeSymlink,
  decodeWrite,
  newInHeader,
} from './requests.js';
import { fuseBody, fuseRequest } from '../../../test/helpers/fuse-request.js';

const H = IN_HEADER_SIZE;

/** A request with node 42 whose body is written by `body(b, o)` (`o` is where the body starts). */
const request = (opcode: number, bodyLen: number, body: (b: Buffer, o: number) => void): Buffer =>
  fuseRequest(opcode, fuseBody(bodyLen, body), { nodeid: 42 });

t.test('fuse_in_header', async (t) => {
  const b = request(Op.LOOKUP, 8, (b, o) => b.write('name\0', o));
  b.writeUInt16LE(2, 36);
  t.same(decodeInHeader(b, newInHeader()), { len: 48, opcode: 1, unique: 2 ** 32 + 7, nodeid: 42, uid: 1000, gid: 100, pid: 4242, extLen: 16 });
});

t.test('BATCH_FORGET walks every fuse_forget_one', async (t) => {
  const b = request(Op.BATCH_FORGET, 8 + 32, (b, o) => {
    b.writeUInt32LE(2, o);
    b.writeBigUInt64LE(5n, o + 8);
    b.writeBigUInt64LE(3n, o + 16);
    b.writeBigUInt64LE(2n ** 40n, o + 24);
    b.writeBigUInt64LE(1n, o + 32);
  });
  const seen: number[][] = [];
  decodeBatchForget(b, H, (n, c) => seen.push([n, c]));
  t.same(seen, [[5, 3], [2 ** 40, 1]]);
});

t.test('GETATTR carries fh only with FUSE_GETATTR_FH', async (t) => {
  t.equal(decodeGetattr(request(Op.GETATTR, 16, (b, o) => b.writeBigUInt64LE(9n, o + 8)), H), null);
  t.equal(decodeGetattr(request(Op.GETATTR, 16, (b, o) => { b.writeUInt32LE(1, o); b.writeBigUInt64LE(9n, o + 8); }), H), 9);
});

t.test('OPEN: open(2) flags, and FUSE_OPEN_KILL_SUIDGID in open_flags', async (t) => {
  const open = (flags: number, openFlags: number) => decodeOpen(request(Op.OPEN, 8, (b, o) => { b.writeUInt32LE(flags, o); b.writeUInt32LE(openFlags, o + 4); }), H);
  t.same(open(0o1001, 0), { flags: 0o1001, killSuidgid: false });
  t.same(open(0o1001, 1), { flags: 0o1001, killSuidgid: true });
  t.same(open(0, 2), { flags: 0, killSuidgid: false }, 'other open_flags bits are not the kill');
});

t.test('STATX: fh with FUSE_GETATTR_FH, then sx_flags and sx_mask', async (t) => {
  const body = (flags: number) => (b: Buffer, o: number) => {
    b.writeUInt32LE(flags, o);
    b.writeBigUInt64LE(9n, o + 8);
    b.writeUInt32LE(0x2000, o + 16);
    b.writeUInt32LE(0xfff, o + 20);
  };
  t.same(decodeStatx(request(Op.STATX, 24, body(0)), H), { fh: null, flags: 0x2000, mask: 0xfff });
  t.same(decodeStatx(request(Op.STATX, 24, body(1)), H), { fh: 9, flags: 0x2000, mask: 0xfff });
});

t.test('SETATTR takes only the valid fields', async (t) => {
  const b = request(Op.SETATTR, 88, (b, o) => {
    b.writeUInt32LE((1 << 0) | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 11), o);
    b.writeBigUInt64LE(77n, o + 8); // fh
    b.writeBigUInt64LE(4096n, o + 16); // size
    b.writeBigInt64LE(-5n, o + 40); // mtime
    b.writeUInt32LE(999, o + 60); // mtimensec
    b.writeUInt32LE(0o104755, o + 68); // mode
    b.writeUInt32LE(1234, o + 76); // uid, not valid
  });
  t.same(decodeSetattr(b, H), { fh: 77, size: 4096, atime: 'now', mtime: { sec: -5, nsec: 999 }, mode: 0o104755, killSuidgid: true });
});

t.test('names and their structs: SYMLINK, MKNOD, MKDIR, LINK, CREATE, RENAME, RENAME2', async (t) => {
  const sym = decodeSymlink(request(Op.SYMLINK, 12, (b, o) => b.write('ln\0../tgt\0', o)), H, H + 12);
  t.same({ name: sym.name, target: sym.target.toString() }, { name: 'ln', target: '../tgt' });
  t.same(decodeMknod(request(Op.MKNOD, 20, (b, o) => { b.writeUInt32LE(0o20644, o); b.writeUInt32LE(0x103, o + 4); b.writeUInt32LE(0o22, o + 8); b.write('dev\0', o + 16); }), H, H + 20),
    { mode: 0o20644, rdev: 0x103, umask: 0o22, name: 'dev' });
  t.same(decodeMkdir(request(Op.MKDIR, 12, (b, o) => { b.writeUInt32LE(0o40755, o); b.writeUInt32LE(0o22, o + 4); b.write('d\0', o + 8); }), H, H + 12),
    { mode: 0o40755, umask: 0o22, name: 'd' });
  t.same(decodeLink(request(Op.LINK, 12, (b, o) => { b.writeBigUInt64LE(8n, o); b.write('h\0', o + 8); }), H, H + 12), { oldNode: 8, newName: 'h' });
  t.same(decodeCreate(request(Op.CREATE, 20, (b, o) => { b.writeUInt32LE(0o101, o); b.writeUInt32LE(0o100600, o + 4); b.writeUInt32LE(0o77, o + 8); b.write('f\0', o + 16); }), H, H + 20),
    { flags: 0o101, mode: 0o100600, umask: 0o77, name: 'f' });
  t.same(decodeRename(request(Op.RENAME, 14, (b, o) => { b.writeBigUInt64LE(3n, o); b.write('a\0bc\0', o + 8); }), H, H + 14, false),
    { newParent: 3, flags: 0, name: 'a', newName: 'bc' });
  t.same(decodeRename(request(Op.RENAME2, 22, (b, o) => { b.writeBigUInt64LE(3n, o); b.writeUInt32LE(2, o + 8); b.write('a\0bc\0', o + 16); }), H, H + 22, true),
    { newParent: 3, flags: 2, name: 'a', newName: 'bc' });
});

t.test('READ, WRITE, RELEASE', async (t) => {
  const r = decodeRead(request(Op.READ, 40, (b, o) => { b.writeBigUInt64LE(5n, o); b.writeBigUInt64LE(2n ** 33n, o + 8); b.writeUInt32LE(65536, o + 16); }), H, { fh: 0, offset: 0, size: 0 });
  t.same(r, { fh: 5, offset: 2 ** 33, size: 65536 });
  const w = decodeWrite(request(Op.WRITE, 45, (b, o) => { b.writeBigUInt64LE(6n, o); b.writeBigUInt64LE(10n, o + 8); b.writeUInt32LE(5, o + 16); b.writeUInt32LE(4, o + 20); b.write('hello', o + 40); }), H);
  t.same({ ...w, data: w.data.toString() }, { fh: 6, offset: 10, writeFlags: 4, data: 'hello' });
  t.same(decodeRelease(request(Op.RELEASE, 24, (b, o) => { b.writeBigUInt64LE(7n, o); b.writeUInt32LE(0o2, o + 8); }), H), { fh: 7, flags: 2 });
});

t.test('SETXATTR: 8-byte struct, or 16 with FUSE_SETXATTR_EXT', async (t) => {
  const compat = decodeSetxattr(request(Op.SETXATTR, 18, (b, o) => { b.writeUInt32LE(3, o); b.writeUInt32LE(1, o + 4); b.write('user.a\0val', o + 8); }), H, H + 18, false);
  t.same({ ...compat, value: compat.value.toString() }, { name: 'user.a', value: 'val', flags: 1, killSgid: false });
  const ext = decodeSetxattr(request(Op.SETXATTR, 26, (b, o) => { b.writeUInt32LE(3, o); b.writeUInt32LE(2, o + 4); b.writeUInt32LE(1, o + 8); b.write('user.a\0val', o + 16); }), H, H + 26, true);
  t.same({ ...ext, value: ext.value.toString() }, { name: 'user.a', value: 'val', flags: 2, killSgid: true }, 'setxattr_flags: FUSE_SETXATTR_ACL_KILL_SGID');
  const kept = decodeSetxattr(request(Op.SETXATTR, 26, (b, o) => { b.writeUInt32LE(3, o); b.writeUInt32LE(0, o + 4); b.writeUInt32LE(0, o + 8); b.write('user.a\0val', o + 16); }), H, H + 26, true);
  t.equal(kept.killSgid, false);
  t.same(decodeGetxattr(request(Op.GETXATTR, 15, (b, o) => { b.writeUInt32LE(0, o); b.write('user.a\0', o + 8); }), H, H + 15), { size: 0, name: 'user.a' });
});

t.test('INIT: the second flag word only with FUSE_INIT_EXT', async (t) => {
  const init = (flags: number, flags2: number) => request(Op.INIT, 64, (b, o) => { b.writeUInt32LE(7, o); b.writeUInt32LE(45, o + 4); b.writeUInt32LE(131072, o + 8); b.writeUInt32LE(flags, o + 12); b.writeUInt32LE(flags2, o + 16); });
  t.same(decodeInit(init(0x73fffffb, 0x20), H, H + 64), { major: 7, minor: 45, maxReadahead: 131072, flags: 0x73fffffbn | (0x20n << 32n) });
  t.same(decodeInit(init(0x3fffffff, 0x20), H, H + 64).flags, 0x3fffffffn);
});

t.test('IOCTL: fh, flags, cmd, then in_size and out_size after the arg; the input follows, cut at the request end', async (t) => {
  const r = request(Op.IOCTL, 32, (b, o) => { b.writeBigUInt64LE(9n, o); b.writeUInt32LE(1 << 4, o + 8); b.writeUInt32LE(0x801c581f, o + 12); b.writeBigUInt64LE(0xdeadn, o + 16); b.writeUInt32LE(0, o + 24); b.writeUInt32LE(28, o + 28); });
  const get = decodeIoctl(r, H, H + 32);
  t.same({ ...get, data: get.data.length }, { fh: 9, flags: 16, cmd: 0x801c581f, data: 0, outSize: 28 });
  // FS_IOC_SETFLAGS: in_size 4, the flags word after the struct.
  const set = request(Op.IOCTL, 36, (b, o) => { b.writeBigUInt64LE(3n, o); b.writeUInt32LE(0x40086602, o + 12); b.writeUInt32LE(4, o + 24); b.writeUInt32LE(0x10, o + 32); });
  const s = decodeIoctl(set, H, H + 36);
  t.equal(s.cmd, 0x40086602);
  t.equal(s.data.length, 4);
  t.equal(s.data.readUInt32LE(0), 0x10);
  // An in_size beyond the request's end is cut there, never read past.
  t.equal(decodeIoctl(set, H, H + 34).data.length, 2);
});

t.test('LSEEK and COPY_FILE_RANGE', async (t) => {
  t.same(decodeLseek(request(Op.LSEEK, 24, (b, o) => { b.writeBigUInt64LE(4n, o); b.writeBigInt64LE(8192n, o + 8); b.writeUInt32LE(3, o + 16); }), H), { fh: 4, offset: 8192, whence: 3 });
  const c = request(Op.COPY_FILE_RANGE, 56, (b, o) => [1n, 2n, 3n, 4n, 5n, 6n, 0n].forEach((v, i) => b.writeBigUInt64LE(v, o + 8 * i)));
  t.same(decodeCopyFileRange(c, H), { fhIn: 1, offIn: 2, nodeOut: 3, fhOut: 4, offOut: 5, len: 6, flags: 0 });
});

t.test('sizes and offsets from 2^53 on come as exact bigints (SETATTR, READ, WRITE, LSEEK, FALLOCATE, COPY_FILE_RANGE)', async (t) => {
  const big = 2n ** 53n + 1n;
  const max = 2n ** 63n - 1n;
  const set = decodeSetattr(request(Op.SETATTR, 88, (b, o) => { b.writeUInt32LE(1 << 3, o); b.writeBigUInt64LE(big, o + 16); }), H);
  t.strictSame(set, { size: big });
  const r = decodeRead(request(Op.READ, 40, (b, o) => { b.writeBigUInt64LE(1n, o); b.writeBigUInt64LE(max, o + 8); b.writeUInt32LE(4096, o + 16); }), H, { fh: 0, offset: 0, size: 0 });
  t.equal(r.offset, max);
  const w = decodeWrite(request(Op.WRITE, 41, (b, o) => { b.writeBigUInt64LE(1n, o); b.writeBigUInt64LE(big, o + 8); b.writeUInt32LE(1, o + 16); }), H);
  t.equal(w.offset, big);
  t.equal(decodeLseek(request(Op.LSEEK, 24, (b, o) => { b.writeBigInt64LE(big - 2n, o + 8); b.writeUInt32LE(4, o + 16); }), H).offset, 2 ** 53 - 1);
  t.equal(decodeLseek(request(Op.LSEEK, 24, (b, o) => { b.writeBigInt64LE(big, o + 8); b.writeUInt32LE(4, o + 16); }), H).offset, big);
  const f = decodeFallocate(request(Op.FALLOCATE, 32, (b, o) => { b.writeBigUInt64LE(big, o + 8); b.writeBigUInt64LE(max - big, o + 16); }), H);
  t.strictSame([f.offset, f.length], [big, max - big]);
  const c = decodeCopyFileRange(request(Op.COPY_FILE_RANGE_64, 56, (b, o) => [1n, big, 3n, 4n, max, big + 2n, 0n].forEach((v, i) => b.writeBigUInt64LE(v, o + 8 * i))), H);
  t.strictSame([c.offIn, c.offOut, c.len], [big, max, big + 2n]);
});
