// SyncAside: the main thread's side of an fsync handed over by the loop. It syncs the fd, closes
// it, and writes the answer to the request itself: the fsync's errno, the request's unique.
// (Through a mount, beside a stalled disk: test/fuse/fsync-aside.test.ts.)
import { execFileSync } from 'node:child_process';
import { constants, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { errnoNumber } from '../../errors.js';
import { ASIDE_PAGES, SyncAside, syncsLong } from './sync-aside.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-sync-aside-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A FIFO opened both ways (never blocks on open): the "device" the answers are written to. */
function fifo(name: string): number {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return openSync(p, constants.O_RDWR);
}

/** The next answer written to `dev` (a FIFO gives up to the bytes asked for: one answer each). */
function answer(dev: number): { len: number; error: number; unique: bigint } {
  const b = Buffer.alloc(16);
  t.equal(readSync(dev, b), 16);
  return { len: b.readUInt32LE(0), error: b.readInt32LE(4), unique: b.readBigUInt64LE(8) };
}

function idle(s: SyncAside): Promise<void> {
  return new Promise((resolve) => s.whenIdle(resolve));
}

t.test('a file is synced, its fd closed, and the request answered with no error', async (t) => {
  const dev = fifo('dev1');
  const s = new SyncAside(dev);
  const f = join(dir, 'f');
  writeFileSync(f, 'data');
  const fd = openSync(f, 'r+');
  s.run({ unique: 2 ** 40 + 7, fd, datasync: false });
  await idle(s);
  t.same(answer(dev), { len: 16, error: 0, unique: BigInt(2 ** 40 + 7) });
  t.throws(() => fstatSync(fd), { code: 'EBADF' }, 'the fd was closed');
});

t.test("an fsync's error is the answer's errno", async (t) => {
  const dev = fifo('dev2');
  const s = new SyncAside(dev);
  // fsync(2) of a FIFO: EINVAL.
  s.run({ unique: 9, fd: fifo('other'), datasync: true });
  await idle(s);
  t.same(answer(dev), { len: 16, error: -errnoNumber('EINVAL'), unique: 9n });
});

t.test('whenIdle waits for every answer outstanding', async (t) => {
  const dev = fifo('dev3');
  const s = new SyncAside(dev);
  const fds = [1, 2, 3].map((i) => {
    writeFileSync(join(dir, `g${i}`), 'x');
    return openSync(join(dir, `g${i}`), 'r+');
  });
  fds.forEach((fd, i) => s.run({ unique: 100 + i, fd, datasync: false }));
  await idle(s);
  const uniques = [0, 1, 2].map(() => answer(dev).unique).sort();
  t.same(uniques, [100n, 101n, 102n], 'all three answered before it was called');
});

t.test('only an fsync with ASIDE_PAGES or more to write is worth handing over', async (t) => {
  const f = join(dir, 'h');
  writeFileSync(f, '');
  const fd = openSync(f, 'r+');
  t.notOk(syncsLong(fd), 'nothing to write');
  writeFileSync(fd, Buffer.alloc(ASIDE_PAGES * 4096 * 2, 1));
  t.ok(syncsLong(fd), 'twice ASIDE_PAGES dirty');
  execFileSync('sync');
  t.notOk(syncsLong(fd), 'all written');
});
