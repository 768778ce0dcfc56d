// The io-mode bookkeeping of ll-passthrough.ts against a session that records the backing ids it
// hands out (the kernel's side is exercised by test/fuse/passthrough.test.ts on real mounts).
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { Handle } from './handles.js';
import { IoModes, MAX_IDLE } from './ll-passthrough.js';
import { type NodeRec, NodeTable } from './node-table.js';
import { InitFlag } from './protocol/constants.js';
import { FOPEN_DIRECT_IO, FOPEN_PASSTHROUGH, type Session } from './session/filesystem.js';

function recordingSession(): Session & { live: Set<number> } {
  const live = new Set<number>();
  let next = 1;
  return {
    live,
    invalInode() {},
    invalEntry() {},
    backingOpen: () => {
      live.add(next);
      return next++;
    },
    backingClose: (id) => {
      if (!live.delete(id)) throw new Error(`backing id ${id} closed twice`);
    },
    watchFd() {},
    grantedFlags: 0n,
  };
}

/** A real file open as `flags` (torn down with the test) and a node for it. */
function fileNode(t: Test, flags: string): { fd: number; table: NodeTable; rec: NodeRec } {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-io-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'f'), 'x');
  const fd = openSync(join(dir, 'f'), flags);
  t.teardown(() => closeSync(fd));
  const table = new NodeTable();
  return { fd, table, rec: table.lookup(table.root, 'f') };
}

t.test('one backing id per node, given back by the last passthrough release; cached opens block it', (t) => {
  const { fd, table, rec } = fileNode(t, 'r');
  const s = recordingSession();
  const io = new IoModes(true);
  const upper: Handle = { fd, path: '/f', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  const lower: Handle = { ...upper, upper: false };

  const a = io.open(s, rec, 1, upper, [], 0);
  const b = io.open(s, rec, 2, upper, [], 0);
  t.equal(a.openFlags, FOPEN_PASSTHROUGH);
  t.equal(b.backingId, a.backingId, 'the node keeps one backing id');
  t.equal(s.live.size, 1);
  // A lower open while passthrough opens exist cannot take the page cache: direct io.
  t.equal(io.open(s, rec, 3, lower, [], 7).openFlags, FOPEN_DIRECT_IO);
  io.release(s, 1);
  t.equal(s.live.size, 1, 'still one passthrough open');
  io.release(s, 2);
  io.release(s, 3);
  t.equal(s.live.size, 0, 'the last passthrough release closed the backing id');
  t.equal(io.liveBackings, 0);

  // A cached open (lower) first: an upper open of the same node stays cached.
  t.equal(io.open(s, rec, 4, lower, [], 7).openFlags, 7);
  t.equal(io.open(s, rec, 5, upper, [], 7).openFlags, 7);
  t.equal(s.live.size, 0);
  io.release(s, 4);
  io.release(s, 5);
  t.equal(io.open(s, rec, 6, upper, [], 7).openFlags, FOPEN_PASSTHROUGH, 'passes through again once released');
  io.release(s, 6);
  t.equal(s.live.size, 0);
  t.end();
});

t.test('hard-link aliases: cached opens on one name keep the other from passing through', (t) => {
  const table = new NodeTable();
  const a = table.lookup(table.root, 'a');
  const b = table.lookup(table.root, 'b');
  const s = recordingSession();
  const io = new IoModes(true);
  const h: Handle = { fd: 0, path: '/a', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  t.equal(io.open(s, a, 1, { ...h, upper: false }, [a, b], 7).openFlags, 7);
  t.equal(io.open(s, b, 2, h, [a, b], 7).openFlags, 7, 'alias has a cached open');
  io.release(s, 1);
  io.release(s, 2);
  t.equal(io.open(s, b, 3, h, [a, b], 7).openFlags, FOPEN_PASSTHROUGH);
  t.equal(io.open(s, a, 4, { ...h, upper: false }, [a, b], 7).openFlags, FOPEN_DIRECT_IO, 'alias passes through');
  io.release(s, 3);
  io.release(s, 4);
  t.equal(s.live.size, 0);
  t.end();
});

t.test('disabled, or not negotiated: every open is cached', (t) => {
  const table = new NodeTable();
  const rec = table.lookup(table.root, 'f');
  const h: Handle = { fd: 0, path: '/f', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  const s = recordingSession();
  t.equal(new IoModes(false).open(s, rec, 1, h, [], 7).openFlags, 7);
  t.equal(new IoModes(true).open({ ...s, backingOpen: () => null }, rec, 1, h, [], 7).openFlags, 7);
  t.end();
});

t.test('a passthrough open lends its handle to the node (GETXATTR reads on its fd) until released', (t) => {
  const { fd, table, rec } = fileNode(t, 'r+');
  const s = recordingSession();
  const io = new IoModes(true);
  const h: Handle = { fd, path: '/f', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  t.equal(io.upperHandle(rec), undefined, 'not open');
  io.open(s, rec, 1, h, [], 0);
  io.open(s, rec, 2, h, [], 0);
  t.equal(io.upperHandle(rec), 1);
  io.release(s, 1);
  t.equal(io.upperHandle(rec), 2, 'the other open serves it now');
  io.release(s, 2);
  t.equal(io.upperHandle(rec), undefined);
  // A lower file never passes through, so its handle is not lent (its fd may switch at a copy-up).
  const lowerRec = table.lookup(table.root, 'g');
  io.open(s, lowerRec, 3, { ...h, upper: false }, [], 0);
  t.equal(io.upperHandle(lowerRec), undefined);
  t.end();
});

t.test('an upper open beside cached opens is served direct while its read is due to stamp atime', (t) => {
  const table = new NodeTable();
  const rec = table.lookup(table.root, 'f');
  const s = { ...recordingSession(), grantedFlags: InitFlag.PASSTHROUGH | InitFlag.DIRECT_IO_ALLOW_MMAP };
  const io = new IoModes(true);
  const upper: Handle = { fd: 0, path: '/f', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  const lower: Handle = { ...upper, upper: false };
  const now = Math.floor(Date.now() / 1000);
  const due = { atimeSec: now - 10, atimeNsec: 0, mtimeSec: now - 20, mtimeNsec: 0, ctimeSec: now - 5, ctimeNsec: 0 };
  const stamped = { ...due, atimeSec: now - 1 };

  t.equal(io.open(s, rec, 1, lower, [], 7).openFlags, 7, 'the lower open: cached');
  t.equal(io.open(s, rec, 2, upper, [], 7, due).openFlags, FOPEN_DIRECT_IO, 'beside it, a read would stamp: direct');
  t.equal(io.open(s, rec, 3, upper, [], 7, stamped).openFlags, 7, 'beside it, stamped already: cached');
  t.equal(io.open(s, rec, 4, { ...upper, writable: true, writeOnly: true }, [], 7, due).openFlags, 7, 'write-only: reads nothing');
  t.equal(io.open({ ...s, grantedFlags: InitFlag.PASSTHROUGH }, rec, 5, upper, [], 7, due).openFlags, 7,
    'no DIRECT_IO_ALLOW_MMAP: a shared mapping of a direct open would fail, so cached');
  io.release(s, 1);
  io.release(s, 3);
  io.release(s, 4);
  io.release(s, 5);
  t.equal(io.open(s, rec, 8, { ...upper, writable: true }, [], 7, due).openFlags, FOPEN_DIRECT_IO, 'O_RDONLY|O_TRUNC reads');
  io.release(s, 8);
  // Only the direct open is left: it may hold a MAP_SHARED mapping (cached io mode in the kernel).
  t.equal(io.open(s, rec, 9, upper, [], 7, due).openFlags, FOPEN_DIRECT_IO, 'no passthrough, and direct where a read is due to stamp');
  io.release(s, 9);
  t.equal(io.open(s, rec, 6, upper, [], 7, stamped).openFlags, 7, 'no passthrough while a direct open is held');
  io.release(s, 6);
  io.release(s, 2);
  t.equal(io.open(s, rec, 7, upper, [], 7, due).openFlags, FOPEN_PASSTHROUGH, 'all gone: passes through');
  io.release(s, 7);
  t.equal(s.live.size, 0);
  t.end();
});

t.test('an alias with cached opens: the other name is served direct while a read would stamp', (t) => {
  const table = new NodeTable();
  const a = table.lookup(table.root, 'a');
  const b = table.lookup(table.root, 'b');
  const s = { ...recordingSession(), grantedFlags: InitFlag.PASSTHROUGH | InitFlag.DIRECT_IO_ALLOW_MMAP };
  const io = new IoModes(true);
  io.upperAtime = 'strictatime';
  const h: Handle = { fd: 0, path: '/a', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  const st = { atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, ctimeSec: 0, ctimeNsec: 0 };
  t.equal(io.open(s, a, 1, { ...h, upper: false }, [a, b], 7).openFlags, 7);
  t.equal(io.open(s, b, 2, h, [a, b], 7, st).openFlags, FOPEN_DIRECT_IO, 'strictatime: every read stamps');
  io.upperAtime = 'noatime';
  t.equal(io.open(s, b, 3, h, [a, b], 7, st).openFlags, 7, 'noatime: no read stamps');
  for (const fh of [1, 2, 3]) io.release(s, fh);
  t.end();
});

// One registration serves every open of a real file (the kernel opens its own backing file per
// FUSE open, with that open's flags), so one made from a read-only fd stays when its last open is
// released, and the next open reuses it: no ioctl pair per open of a file read again and again.
t.test('an idle backing id: kept after a read-only open, reused, replaced, forgotten, bounded', (t) => {
  const table = new NodeTable();
  const s = recordingSession();
  const io = new IoModes(true);
  const h: Handle = { fd: 0, path: '/f', upper: true, lowerKey: null, ino: 1n, extraFds: [] };
  const st = (ino: bigint) => ({ atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, ctimeSec: 0, ctimeNsec: 0, dev: 1, ino });
  const rec = table.lookup(table.root, 'f');
  const first = io.open(s, rec, 1, h, [], 7, st(10n));
  io.release(s, 1);
  t.equal(s.live.size, 1, 'kept after the last release of a read-only open');
  const again = io.open(s, rec, 2, { ...h, writable: true, readWrite: true }, [], 7, st(10n));
  t.same([again.openFlags, again.backingId], [FOPEN_PASSTHROUGH, first.backingId], 'reused, also by a write open');
  io.release(s, 2);
  t.equal(s.live.size, 1, 'still kept: it was registered from the read-only fd');
  const other = io.open(s, rec, 3, h, [], 7, st(11n));
  t.not(other.backingId, first.backingId, 'the name leads to another real file now: a new id');
  t.same([...s.live], [other.backingId], 'and the old one is closed');
  io.release(s, 3);
  io.dropped(s, rec);
  t.equal(s.live.size, 0, 'the kernel forgot the node: closed');
  t.equal(io.liveBackings, 0);

  // Registered from a writable fd: closed at once (a file held open for writing cannot be run).
  io.open(s, rec, 4, { ...h, writable: true }, [], 7, st(12n));
  io.release(s, 4);
  t.equal(s.live.size, 0, 'a writable registration is not kept');
  // Unknown identity: not kept either.
  io.open(s, rec, 5, h, [], 7);
  io.release(s, 5);
  t.equal(s.live.size, 0, 'no identity, not kept');

  // At most MAX_IDLE idle ids: the oldest goes first.
  const recs = Array.from({ length: MAX_IDLE + 1 }, (_, i) => table.lookup(table.root, `n${i}`));
  const ids = recs.map((r, i) => {
    const id = io.open(s, r, 100 + i, h, [], 7, st(BigInt(100 + i))).backingId;
    io.release(s, 100 + i);
    return id;
  });
  t.equal(s.live.size, MAX_IDLE, 'bounded');
  t.notOk(s.live.has(ids[0]!), 'the oldest was closed');
  t.ok(s.live.has(ids[MAX_IDLE]!), 'the newest kept');

  // The session ends: every idle id is closed at once (the kernel would free them only at the
  // daemon's exit, and until then the upper's filesystem could not be unmounted), open ones stay.
  io.open(s, rec, 9, h, [], 7, st(13n));
  io.closeIdle(s);
  t.equal(s.live.size, 1, 'only the open one is left');
  io.release(s, 9);
  io.closeIdle(s);
  t.equal(s.live.size, 0);
  t.equal(io.liveBackings, 0);
  t.end();
});
