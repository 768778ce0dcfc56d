// BlockingThreads: fsyncs and reads queued for threads of their own, each answering its request itself: the
// fsync's (read's) errno and the request's unique written to the device, or errno + 1 rung on a doorbell.
// (Through a mount, beside a stalled or slow disk: test/fuse/fsync-aside.test.ts and
// test/fuse/copy-up-meanwhile.test.ts.)
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { errnoNumber } from '../../errors.js';
import { closeFd, eventFd, readEventFd } from '../../sys/fd.js';
import { rangeCached } from '../../sys/read-cached.js';
import { BlockingThreads, MAX_THREADS } from './blocking-threads.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-blocking-threads-'));
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

/** This process's fds open on `name` (in `dir`). */
function fdsOn(name: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === join(dir, name);
    } catch {
      return false;
    }
  }).length;
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    if (i === 500) throw new Error(`not ${what} after 5 s`);
    await sleep(10);
  }
}

t.test('an fsync is answered with no error and the unique, its fd closed; the first starts a thread', async (t) => {
  const dev = fifo('dev1');
  const s = new BlockingThreads(dev);
  const fd = file('f');
  t.ok(s.run({ unique: 2 ** 40 + 7, fd, datasync: false }), 'queued, a thread started for it');
  t.same(answer(dev), { len: 16, error: 0, unique: BigInt(2 ** 40 + 7) });
  t.throws(() => fstatSync(fd), { code: 'EBADF' }, 'the fd was closed');
  t.ok(s.run({ unique: 8, fd: file('g'), datasync: true }));
  t.same(answer(dev), { len: 16, error: 0, unique: 8n });
  s.close();
});

t.test("an fsync's error is the answer's errno", async (t) => {
  const dev = fifo('dev2');
  const s = new BlockingThreads(dev);
  // fsync(2) of a FIFO: EINVAL.
  t.ok(s.run({ unique: 9, fd: fifo('other'), datasync: false }));
  t.same(answer(dev), { len: 16, error: -errnoNumber('EINVAL'), unique: 9n });
  s.close();
});

t.test('with a doorbell, errno + 1 is rung on it and nothing goes to the device', async (t) => {
  const dev = fifo('dev3');
  const s = new BlockingThreads(dev);
  const bell = eventFd();
  t.teardown(() => closeFd(bell));
  let rung = 0;
  t.ok(s.run({ unique: 0, fd: file('k'), datasync: false, wake: bell }));
  await until('rung', () => (rung = readEventFd(bell)) !== 0);
  t.equal(rung, 1, 'no error');
  t.ok(s.run({ unique: 0, fd: fifo('other2'), datasync: false, wake: bell }));
  await until('rung', () => (rung = readEventFd(bell)) !== 0);
  t.equal(rung, errnoNumber('EINVAL') + 1, 'EINVAL');
  writeFileSync(dev, Buffer.from('end'));
  t.equal(readSync(dev, Buffer.alloc(16)), 3, 'the device got nothing before');
  s.close();
});

t.test('many at once: each answered once; at most MAX_THREADS threads, each with its dup of the device, gone at close', async (t) => {
  const dev = fifo('dev4');
  const s = new BlockingThreads(dev);
  for (let i = 0; i < 100; i++) t.ok(s.run({ unique: 1000 + i, fd: file(`m${i}`), datasync: i % 2 === 0 }));
  const got = Array.from({ length: 100 }, () => Number(answer(dev).unique)).sort((a, b) => a - b);
  t.same(got, Array.from({ length: 100 }, (_, i) => 1000 + i), 'all 100, once each');
  const threads = fdsOn('dev4') - 1;
  t.ok(threads >= 1 && threads <= MAX_THREADS, `${threads} threads`);
  s.close();
  await until('the threads closed their dups', () => fdsOn('dev4') === 1);
  t.equal(fdsOn('dev4'), 1, 'only the session fd is left');
});

/** The next answer written to `dev` with the data after its header (a FIFO gives them in order: one writer at a time here). */
function answerWithData(dev: number): { len: number; error: number; unique: bigint; data: Buffer } {
  const head = answer(dev);
  const data = Buffer.alloc(head.len - 16);
  for (let got = 0; got < data.length; ) got += readSync(dev, data, got, data.length - got, null);
  return { ...head, data };
}

t.test('a read is answered with its data after the header, its fd closed; errors are the errno, ends of files short', async (t) => {
  const dev = fifo('dev6');
  const s = new BlockingThreads(dev);
  const data = Buffer.alloc(200_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 13) & 255;
  writeFileSync(join(dir, 'r'), data);
  const fd = openSync(join(dir, 'r'), 'r');
  t.ok(s.run({ read: true, unique: 2 ** 33 + 5, fd, offset: 1000, size: 131072 }));
  t.same(answerWithData(dev), { len: 16 + 131072, error: 0, unique: BigInt(2 ** 33 + 5), data: data.subarray(1000, 1000 + 131072) });
  t.throws(() => fstatSync(fd), { code: 'EBADF' }, 'the fd was closed');
  t.ok(s.run({ read: true, unique: 6, fd: openSync(join(dir, 'r'), 'r'), offset: 199_000, size: 4096 }));
  t.same(answerWithData(dev), { len: 16 + 1000, error: 0, unique: 6n, data: data.subarray(199_000) }, 'short at the end');
  t.ok(s.run({ read: true, unique: 7, fd: openSync(dir, 'r'), offset: 0, size: 4096 }));
  t.same(answerWithData(dev), { len: 16, error: -errnoNumber('EISDIR'), unique: 7n, data: Buffer.alloc(0) }, 'a dir: EISDIR');
  s.close();
});

t.test('a read with a doorbell only brings the range into the page cache and rings errno + 1; the device gets nothing', async (t) => {
  const dev = fifo('dev-warm');
  const s = new BlockingThreads(dev);
  const bell = eventFd();
  t.teardown(() => closeFd(bell));
  const path = join(dir, 'cold');
  writeFileSync(path, Buffer.alloc(3 << 20, 5));
  execFileSync('sync', ['-f', path]);
  execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
  const mine = openSync(path, 'r');
  t.teardown(() => closeSync(mine));
  t.notOk(rangeCached(mine, 1 << 20, 3 << 20), 'not cached before');
  const fd = openSync(path, 'r');
  let rung = 0;
  t.ok(s.run({ read: true, unique: 0, fd, offset: 1 << 20, size: 2 << 20, wake: bell }));
  await until('rung', () => (rung = readEventFd(bell)) !== 0);
  t.equal(rung, 1, 'no error');
  t.ok(rangeCached(mine, 1 << 20, 3 << 20), 'the range is in the page cache');
  t.throws(() => fstatSync(fd), { code: 'EBADF' }, 'the fd was closed');
  t.ok(s.run({ read: true, unique: 0, fd: openSync(dir, 'r'), offset: 0, size: 4096, wake: bell }));
  await until('rung', () => (rung = readEventFd(bell)) !== 0);
  t.equal(rung, errnoNumber('EISDIR') + 1, 'a dir: EISDIR');
  writeFileSync(dev, Buffer.from('end'));
  t.equal(readSync(dev, Buffer.alloc(16)), 3, 'the device got nothing before');
  s.close();
});

t.test('a read at an offset past 2^32 reads there', async (t) => {
  const dev = fifo('dev7');
  const s = new BlockingThreads(dev);
  const at = 5 * 2 ** 32 + 12345;
  const fd = openSync(join(dir, 'sparse'), 'w+');
  writeSync(fd, 'far', at);
  t.ok(s.run({ read: true, unique: 8, fd, offset: at - 2, size: 16 }));
  t.same(answerWithData(dev), { len: 16 + 5, error: 0, unique: 8n, data: Buffer.from('\0\0far') });
  s.close();
});

t.test('queues sharing a budget start no more threads between them than it allows', async (t) => {
  const dev = fifo('dev8');
  const budget = { left: 1 };
  const a = new BlockingThreads(dev, 0, budget);
  const b = new BlockingThreads(dev, 0, budget);
  writeFileSync(join(dir, 'live'), 'live');
  t.ok(a.run({ read: true, unique: 9, fd: openSync(join(dir, 'live'), 'r'), offset: 0, size: 4 }), 'the first queue starts a thread');
  t.same(answerWithData(dev), { len: 20, error: 0, unique: 9n, data: Buffer.from('live') });
  t.equal(budget.left, 0, 'the budget spent');
  const fd = openSync(join(dir, 'live'), 'r');
  t.notOk(b.run({ read: true, unique: 10, fd, offset: 0, size: 4 }), 'the second has none to start: its caller reads');
  t.equal(fstatSync(fd).size, 4, 'the fd is still the caller’s');
  t.equal(fdsOn('dev8'), 2, 'one thread in all');
  a.close();
  b.close();
});

t.test('waitMs: how long the oldest queued job has left of its patience; -1 with none queued or no patience', async (t) => {
  const dev = fifo('dev9');
  const none = new BlockingThreads(dev);
  t.ok(none.run({ read: true, unique: 1, fd: openSync(join(dir, 'r'), 'r'), offset: 0, size: 1 }));
  t.equal(none.waitMs(), -1, 'no patience: -1 even with a job queued');
  answerWithData(dev);
  none.close();
  const s = new BlockingThreads(dev, 200);
  t.equal(s.waitMs(), -1, 'nothing queued');
  // The first thread takes ~20 ms to start: the first job waits for it, not for another.
  t.ok(s.run({ read: true, unique: 2, fd: openSync(join(dir, 'r'), 'r'), offset: 0, size: 1 }));
  t.equal(s.waitMs(), -1, 'one job, one thread starting: none more to start');
  t.ok(s.run({ read: true, unique: 3, fd: openSync(join(dir, 'r'), 'r'), offset: 0, size: 1 }));
  const wait = s.waitMs();
  t.ok(wait > 100 && wait <= 200, `two jobs, one thread starting: another in ${wait} ms`);
  answerWithData(dev);
  answerWithData(dev);
  t.equal(s.waitMs(), -1, 'both taken');
  s.close();
});

// A pids cgroup (v1, as on the machines this project runs on) at this process's task count: no thread can start.
const PIDS = '/sys/fs/cgroup/pids';
t.test('no thread to be had: the caller syncs itself (run says no), nothing leaked', { skip: existsSync(`${PIDS}/cgroup.procs`) ? false : `no cgroup v1 pids controller at ${PIDS}` }, async (t) => {
  const cg = `${PIDS}/ovlkit-blocking-threads-${process.pid}`;
  // Where this process was: /proc/self/cgroup's pids line.
  const was = /^\d+:pids:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  mkdirSync(cg);
  t.teardown(() => {
    writeFileSync(join(PIDS, was, 'cgroup.procs'), String(process.pid));
    rmdirSync(cg);
  });
  const dev = fifo('dev5');
  const s = new BlockingThreads(dev);
  const fd = file('n');
  const again = file('n2');
  writeFileSync(`${cg}/cgroup.procs`, String(process.pid));
  writeFileSync(`${cg}/pids.max`, readFileSync(`${cg}/pids.current`, 'utf8').trim());
  t.notOk(s.run({ unique: 1, fd, datasync: false }), 'refused');
  t.equal(fdsOn('dev5'), 1, 'no dup of the device left behind');
  t.equal(fstatSync(fd).size, 1, 'the fd is still the caller’s');
  // No new try for RETRY_MS (1 s): a loop tending on every pass retried at 100 % CPU (a review).
  const failedForks = () => Number(/^max (\d+)/m.exec(readFileSync(`${cg}/pids.events`, 'utf8'))?.[1] ?? 0);
  const forks = failedForks();
  for (let i = 0; i < 100; i++) {
    t.equal(s.run({ unique: 1, fd, datasync: false }), false);
    s.tend();
  }
  t.equal(failedForks(), forks, 'no thread tried again within the second');
  closeFd(fd);
  writeFileSync(`${cg}/pids.max`, 'max');
  t.notOk(s.run({ unique: 2, fd: again, datasync: false }), 'not yet tried again');
  await sleep(1100);
  t.ok(s.run({ unique: 2, fd: again, datasync: false }), 'a thread once one can start, a second later');
  t.same(answer(dev), { len: 16, error: 0, unique: 2n });
  s.close();
});
