// SyncThreads: fsyncs queued for threads of their own, each answering its request itself: the
// fsync's errno and the request's unique written to the device, or errno + 1 rung on a doorbell.
// (Through a mount, beside a stalled or slow disk: test/fuse/fsync-aside.test.ts and
// test/fuse/copy-up-meanwhile.test.ts.)
import { execFileSync } from 'node:child_process';
import { constants, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { errnoNumber } from '../../errors.js';
import { closeFd, eventFd, readEventFd } from '../../sys/fd.js';
import { MAX_THREADS, SyncThreads } from './sync-threads.js';

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
  const s = new SyncThreads(dev);
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
  const s = new SyncThreads(dev);
  // fsync(2) of a FIFO: EINVAL.
  t.ok(s.run({ unique: 9, fd: fifo('other'), datasync: false }));
  t.same(answer(dev), { len: 16, error: -errnoNumber('EINVAL'), unique: 9n });
  s.close();
});

t.test('with a doorbell, errno + 1 is rung on it and nothing goes to the device', async (t) => {
  const dev = fifo('dev3');
  const s = new SyncThreads(dev);
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
  const s = new SyncThreads(dev);
  for (let i = 0; i < 100; i++) t.ok(s.run({ unique: 1000 + i, fd: file(`m${i}`), datasync: i % 2 === 0 }));
  const got = Array.from({ length: 100 }, () => Number(answer(dev).unique)).sort((a, b) => a - b);
  t.same(got, Array.from({ length: 100 }, (_, i) => 1000 + i), 'all 100, once each');
  const threads = fdsOn('dev4') - 1;
  t.ok(threads >= 1 && threads <= MAX_THREADS, `${threads} threads`);
  s.close();
  await until('the threads closed their dups', () => fdsOn('dev4') === 1);
  t.equal(fdsOn('dev4'), 1, 'only the session fd is left');
});

// A pids cgroup (v1, as on the machines this project runs on) at this process's task count: no thread can start.
const PIDS = '/sys/fs/cgroup/pids';
t.test('no thread to be had: the caller syncs itself (run says no), nothing leaked', { skip: existsSync(`${PIDS}/cgroup.procs`) ? false : `no cgroup v1 pids controller at ${PIDS}` }, async (t) => {
  const cg = `${PIDS}/ovlkit-sync-threads-${process.pid}`;
  // Where this process was: /proc/self/cgroup's pids line.
  const was = /^\d+:pids:(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  mkdirSync(cg);
  t.teardown(() => {
    writeFileSync(join(PIDS, was, 'cgroup.procs'), String(process.pid));
    rmdirSync(cg);
  });
  const dev = fifo('dev5');
  const s = new SyncThreads(dev);
  const fd = file('n');
  const again = file('n2');
  writeFileSync(`${cg}/cgroup.procs`, String(process.pid));
  writeFileSync(`${cg}/pids.max`, readFileSync(`${cg}/pids.current`, 'utf8').trim());
  t.notOk(s.run({ unique: 1, fd, datasync: false }), 'refused');
  t.equal(fdsOn('dev5'), 1, 'no dup of the device left behind');
  t.equal(fstatSync(fd).size, 1, 'the fd is still the caller’s');
  closeFd(fd);
  writeFileSync(`${cg}/pids.max`, 'max');
  t.ok(s.run({ unique: 2, fd: again, datasync: false }), 'a thread once one can start');
  t.same(answer(dev), { len: 16, error: 0, unique: 2n });
  s.close();
});
