// SyncThreads: fsyncs handed to threads of their own, each answering its request itself: the
// fsync's errno and the request's unique written to the device, or errno + 1 rung on a doorbell.
// (Through a mount, beside a stalled or slow disk: test/fuse/fsync-aside.test.ts and
// test/fuse/copy-up-meanwhile.test.ts.)
import { execFileSync } from 'node:child_process';
import { constants, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { errnoNumber } from '../../errors.js';
import { closeFd, eventFd, readEventFd } from '../../sys/fd.js';
import { SyncThreads } from './sync-threads.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-sync-threads-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** A FIFO opened both ways (never blocks on open): the "device" answers are written to, or an fd fsync refuses. */
function fifo(name: string): number {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return openSync(p, constants.O_RDWR);
}

/** The next answer written to `dev` (blocks until there is one; a FIFO read gives one answer of 16 bytes). */
function answer(dev: number): { len: number; error: number; unique: bigint } {
  const b = Buffer.alloc(16);
  t.equal(readSync(dev, b), 16);
  return { len: b.readUInt32LE(0), error: b.readInt32LE(4), unique: b.readBigUInt64LE(8) };
}

function file(name: string): number {
  writeFileSync(join(dir, name), name);
  return openSync(join(dir, name), 'r+');
}

/** Threads with the first one running. */
async function running(dev: number): Promise<SyncThreads> {
  const s = new SyncThreads(dev);
  t.notOk(s.idle(), 'none idle before one runs');
  for (let i = 0; !s.idle(); i++) {
    if (i === 500) throw new Error('no sync thread came up');
    await sleep(10);
  }
  return s;
}

t.test('an fsync is answered with no error and the unique, its fd closed', async (t) => {
  const dev = fifo('dev1');
  const s = await running(dev);
  const fd = file('f');
  t.ok(s.run({ unique: 2 ** 40 + 7, fd, datasync: false }));
  t.same(answer(dev), { len: 16, error: 0, unique: BigInt(2 ** 40 + 7) });
  t.throws(() => fstatSync(fd), { code: 'EBADF' }, 'the fd was closed');
  t.ok(s.run({ unique: 8, fd: file('g'), datasync: true }), 'the same thread takes the next one');
  t.same(answer(dev), { len: 16, error: 0, unique: 8n });
});

t.test('the first fsync starts a thread and is answered once it runs; a copy-up waits for none', async (t) => {
  const dev = fifo('dev0');
  const s = new SyncThreads(dev);
  const fd = file('first');
  t.notOk(s.run({ unique: 0, fd, datasync: false, wake: -1 }, true), 'only an idle thread for a copy-up: none yet');
  t.ok(s.run({ unique: 3, fd, datasync: false }), 'taken by the thread just started');
  t.same(answer(dev), { len: 16, error: 0, unique: 3n });
});

t.test("an fsync's error is the answer's errno", async (t) => {
  const dev = fifo('dev2');
  const s = await running(dev);
  // fsync(2) of a FIFO: EINVAL.
  t.ok(s.run({ unique: 9, fd: fifo('other'), datasync: false }));
  t.same(answer(dev), { len: 16, error: -errnoNumber('EINVAL'), unique: 9n });
});

t.test("with a doorbell, errno + 1 is rung on it and nothing goes to the device", async (t) => {
  const dev = fifo('dev3');
  const s = await running(dev);
  const bell = eventFd();
  t.teardown(() => closeFd(bell));
  const rung = async () => {
    for (let n = readEventFd(bell); ; n = readEventFd(bell)) {
      if (n !== 0) return n;
      await sleep(5);
    }
  };
  t.ok(s.run({ unique: 0, fd: file('k'), datasync: false, wake: bell }, true));
  t.equal(await rung(), 1, 'no error');
  t.ok(s.run({ unique: 0, fd: fifo('other2'), datasync: false, wake: bell }, true));
  t.equal(await rung(), errnoNumber('EINVAL') + 1, 'EINVAL');
  writeFileSync(dev, Buffer.from('end'));
  t.equal(readSync(dev, Buffer.alloc(16)), 3, 'the device got nothing before');
});
