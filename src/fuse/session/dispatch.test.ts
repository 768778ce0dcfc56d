// The dispatcher against a scripted filesystem: requests as bytes in, replies as bytes out,
// and the node ids each reply hands the kernel (what the loop gives back if delivery fails).
import t from 'tap';
import { OvlError } from '../../errors.js';
import { Op, decodeInHeader, newInHeader } from '../protocol/index.js';
import type { Attr, DirEntry, Entry, LowLevelFs } from './filesystem.js';
import { Dispatcher, FAILED, NO_REPLY } from './dispatch.js';
import { fuseBody, fuseRequest } from '../../../test/helpers/fuse-request.js';

const attr = (ino: number): Attr => ({
  ino, size: 0, blocks: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, ctimeSec: 0, ctimeNsec: 0,
  mode: 0o100644, nlink: 1, uid: 0, gid: 0, rdev: 0, blksize: 4096,
});
const entry = (nodeid: number): Entry => ({ nodeid, generation: 0, entryValidMs: 0, attrValidMs: 0, attr: attr(nodeid) });

const request = (opcode: number, nodeid: number, body: Buffer): Buffer => fuseRequest(opcode, body, { nodeid });

/** fuse_read_in (also READDIR's): fh 5, offset, size. */
const readIn = (size: number, offset = 0): Buffer =>
  fuseBody(40, (b, o) => {
    b.writeBigUInt64LE(5n, o);
    b.writeBigUInt64LE(BigInt(offset), o + 8);
    b.writeUInt32LE(size, o + 16);
  });

const names = ['.', '..', 'a', 'gone', 'b'];
const fs = {
  lookup: (_c: unknown, _p: number, name: string) => {
    if (name === 'gone') throw new OvlError('ENOENT', 'gone');
    return entry(name === 'a' ? 10 : name === 'b' ? 11 : 12);
  },
  forget: () => undefined,
  readdir: function* (_c: unknown, _n: number, _fh: number, offset: number): Iterable<DirEntry> {
    for (let i = offset; i < names.length; i++) yield { name: names[i]!, ino: 100 + i, type: 8, off: i + 1 };
  },
  getxattr: (_c: unknown, _n: number, name: string) => (name === 'user.x' ? Buffer.from('value') : null),
  // One name shown, 31 bytes of real list (trusted.overlay.opaque hidden).
  listxattr: () => ({ names: ['user.x2'], realSize: 31 }),
} as unknown as LowLevelFs;

const withStatx = {
  ...fs,
  statx: (_c: unknown, node: number, fh: number | null) => ({
    attrValidMs: 0, attr: attr(node), mask: 0xfff, btimeSec: fh ?? 0, btimeNsec: 0, attributes: 0, attributesMask: 0,
  }),
} as unknown as LowLevelFs;

/** The reply length; a failed request's error is thrown, as the loop would turn it into an errno. */
function run(d: Dispatcher, req: Buffer): number {
  const len = d.handle(decodeInHeader(req, newInHeader()), req);
  if (len === FAILED) throw d.failure;
  return len;
}

t.test('LOOKUP: fuse_entry_out after the header; the node id is noted as sent', async (t) => {
  const out = Buffer.alloc(4096);
  const d = new Dispatcher(fs, out, () => undefined);
  t.equal(run(d, request(Op.LOOKUP, 1, Buffer.from('a\0'))), 16 + 128);
  t.equal(out.readBigUInt64LE(16), 10n);
  t.same(d.sentNodes, [10]);
  t.throws(() => run(d, request(Op.LOOKUP, 1, Buffer.from('gone\0'))), { code: 'ENOENT' });
  t.same(d.sentNodes, [], 'a failed request hands out nothing');
});

t.test('a failed request returns FAILED with what was thrown, from either switch, and never throws', async (t) => {
  const d = new Dispatcher(fs, Buffer.alloc(4096), () => undefined);
  const req = request(Op.LOOKUP, 1, Buffer.from('gone\0'));
  t.equal(d.handle(decodeInHeader(req, newInHeader()), req), FAILED);
  t.match(d.failure, { code: 'ENOENT', message: /gone/ });
  const absent = request(Op.GETXATTR, 1, Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('user.y\0')]));
  t.equal(d.handle(decodeInHeader(absent, newInHeader()), absent), FAILED);
  t.match(d.failure, { code: 'ENODATA' });
});

t.test('READDIRPLUS: . and .. and vanished names with node id 0, only sent entries looked up', async (t) => {
  const out = Buffer.alloc(4096);
  const errors: string[] = [];
  const d = new Dispatcher(fs, out, (name) => errors.push(name));
  const end = run(d, request(Op.READDIRPLUS, 1, readIn(4096)));
  const ids: number[] = [];
  for (let o = 16; o < end; ) {
    ids.push(Number(out.readBigUInt64LE(o)));
    o += 128 + ((24 + out.readUInt32LE(o + 128 + 16) + 7) & ~7);
  }
  t.same(ids, [0, 0, 10, 0, 11]);
  t.same(d.sentNodes, [10, 11]);
  t.same(errors, ['gone']);
  // A buffer with room for two records: only "." and ".." are sent, nothing is looked up.
  const small = run(d, request(Op.READDIRPLUS, 1, readIn(2 * 160)));
  t.equal(small, 16 + 2 * 160);
  t.same(d.sentNodes, []);
});

t.test('a request that fails after its reply noted node ids gives their lookups back (the kernel sends no FORGET for an error reply)', async (t) => {
  const forgotten: Array<[number, number]> = [];
  const failing = {
    ...fs,
    forget: (id: number, n: number) => void forgotten.push([id, n]),
    // A listing that fails after its first looked-up entry went into the reply.
    readdir: function* (): Iterable<DirEntry> {
      yield { name: 'a', ino: 100, type: 8, off: 1 };
      throw new OvlError('EIO', 'listing failed');
    },
  } as unknown as LowLevelFs;
  const d = new Dispatcher(failing, Buffer.alloc(4096), () => undefined);
  t.throws(() => run(d, request(Op.READDIRPLUS, 1, readIn(4096))), { code: 'EIO' });
  t.same(forgotten, [[10, 1]], 'the lookup of a is given back');
  t.same(d.sentNodes, [], 'and nothing is left for the loop');
});

t.test('MKDIR whose entry is not a dir (the name swapped beside the mount): EIO and the count given back, as the kernel drops it unforgotten (create_new_entry)', async (t) => {
  const forgotten: number[] = [];
  const swapped = {
    ...fs,
    forget: (id: number) => void forgotten.push(id),
    mkdir: (_c: unknown, _p: number, name: string) => {
      const e = entry(name === 'swapped' ? 20 : 21);
      if (name !== 'swapped') e.attr = { ...e.attr, mode: 0o40755 };
      return e;
    },
  } as unknown as LowLevelFs;
  const d = new Dispatcher(swapped, Buffer.alloc(4096), () => undefined);
  const mkdir = (name: string) => request(Op.MKDIR, 1, Buffer.concat([Buffer.from([0xed, 0x41, 0, 0, 0, 0, 0, 0]), Buffer.from(`${name}\0`)]));
  t.throws(() => run(d, mkdir('swapped')), { code: 'EIO' });
  t.same(forgotten, [20]);
  t.equal(run(d, mkdir('dir')), 16 + 128, 'a dir is answered');
  t.same(d.sentNodes, [21]);
  t.same(forgotten, [20], 'and kept');
});

t.test('CREATE and TMPFILE whose entry is not a regular file (the name swapped beside the mount): EIO, the open handle released and the count given back, as the kernel drops both unforgotten and unreleased (fuse_create_open)', async (t) => {
  const forgotten: number[] = [];
  const released: Array<[number, number, number]> = [];
  let next = 30;
  const made = (name: string) => {
    const e = entry(next++);
    if (name !== 'file') e.attr = { ...e.attr, mode: 0o40755 };
    return { entry: e, opened: { fh: e.nodeid + 100, openFlags: 0 } };
  };
  const swapped = {
    ...fs,
    forget: (id: number) => void forgotten.push(id),
    release: (_c: unknown, id: number, fh: number, flags: number) => void released.push([id, fh, flags]),
    create: (_c: unknown, _p: number, name: string) => made(name),
    tmpfile: () => made('tmp'),
  } as unknown as LowLevelFs;
  const d = new Dispatcher(swapped, Buffer.alloc(4096), () => undefined);
  // fuse_create_in: flags O_WRONLY|O_CREAT, mode 0100644, umask, open_flags; then the name.
  const create = (opcode: number, name: string) =>
    request(opcode, 1, fuseBody(16 + name.length + 1, (b, o) => {
      b.writeUInt32LE(0o101, o);
      b.writeUInt32LE(0o100644, o + 4);
      b.write(`${name}\0`, o + 16);
    }));
  t.throws(() => run(d, create(Op.CREATE, 'swapped')), { code: 'EIO' });
  t.same(forgotten, [30], 'the lookup given back');
  t.same(released, [[30, 130, 0o101]], 'the handle released');
  t.throws(() => run(d, create(Op.TMPFILE, '')), { code: 'EIO' });
  t.same(forgotten, [30, 31]);
  t.same(released, [[30, 130, 0o101], [31, 131, 0o101]]);
  t.equal(run(d, create(Op.CREATE, 'file')), 16 + 128 + 16, 'a regular file is answered: entry and open');
  t.same(d.sentNodes, [32]);
  t.same([forgotten.length, released.length], [2, 2], 'and kept open');
});

t.test('READDIR: dirents until the size is reached, from the cookie on', async (t) => {
  const out = Buffer.alloc(4096);
  const d = new Dispatcher(fs, out, () => undefined);
  const end = run(d, request(Op.READDIR, 1, readIn(64, 2)));
  t.equal(end, 16 + 32 + 32, 'two 32-byte records fit in 64');
  t.equal(out.toString('utf8', 16 + 24, 16 + 25), 'a');
  t.equal(out.readBigUInt64LE(16 + 8), 3n, 'off is the next cookie');
});

t.test('GETXATTR: size-0 probe, ERANGE, value, ENODATA for null', async (t) => {
  const out = Buffer.alloc(4096);
  const d = new Dispatcher(fs, out, () => undefined);
  const body = (size: number) => Buffer.concat([Buffer.from([size, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('user.x\0')]);
  t.equal(run(d, request(Op.GETXATTR, 1, body(0))), 24);
  t.equal(out.readUInt32LE(16), 5);
  t.throws(() => run(d, request(Op.GETXATTR, 1, body(4))), { code: 'ERANGE' });
  t.equal(run(d, request(Op.GETXATTR, 1, body(5))), 21);
  t.equal(out.toString('utf8', 16, 21), 'value');
  const absent = Buffer.concat([Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]), Buffer.from('security.capability\0')]);
  t.throws(() => run(d, request(Op.GETXATTR, 1, absent)), { code: 'ENODATA', errno: 61 });
});

t.test('LISTXATTR: the probe answers the real list size, a buffer below it is ERANGE', async (t) => {
  const out = Buffer.alloc(4096);
  const d = new Dispatcher(fs, out, () => undefined);
  const body = (size: number) => Buffer.from([size, 0, 0, 0, 0, 0, 0, 0]);
  t.equal(run(d, request(Op.LISTXATTR, 1, body(0))), 24);
  t.equal(out.readUInt32LE(16), 31, 'hidden names counted');
  t.throws(() => run(d, request(Op.LISTXATTR, 1, body(8))), { code: 'ERANGE' }, 'room for the shown names is not enough');
  t.throws(() => run(d, request(Op.LISTXATTR, 1, body(30))), { code: 'ERANGE' });
  t.equal(run(d, request(Op.LISTXATTR, 1, body(31))), 24);
  t.equal(out.toString('latin1', 16, 24), 'user.x2\0');
});

t.test('STATX: fuse_statx_out from the filesystem answer, fh passed when sent', async (t) => {
  const out = Buffer.alloc(4096);
  const d = new Dispatcher(withStatx, out, () => undefined);
  const body = Buffer.alloc(24);
  body.writeUInt32LE(1, 0);
  body.writeBigUInt64LE(6n, 8);
  t.equal(run(d, request(Op.STATX, 7, body)), 16 + 288);
  t.equal(out.readUInt32LE(16 + 32), 0xfff, 'mask');
  t.equal(out.readBigUInt64LE(16 + 32 + 32), 7n, 'ino');
  t.equal(out.readBigInt64LE(16 + 32 + 80), 6n, 'btime carries what the fs made of fh');
});

t.test('FORGET and INTERRUPT get no reply; unknown and missing optional ops are ENOSYS', async (t) => {
  const d = new Dispatcher(fs, Buffer.alloc(4096), () => undefined);
  t.equal(run(d, request(Op.FORGET, 10, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]))), NO_REPLY);
  t.equal(run(d, request(Op.INTERRUPT, 0, Buffer.alloc(8))), NO_REPLY);
  t.throws(() => run(d, request(Op.STATX, 1, Buffer.alloc(24))), { code: 'ENOSYS' });
  t.throws(() => run(d, request(Op.LSEEK, 1, Buffer.alloc(24))), { code: 'ENOSYS' });
  t.throws(() => run(d, request(999, 1, Buffer.alloc(0))), { code: 'ENOSYS' });
});
