// A READ of data the page cache lacks holds only its caller. The loop serves one request at a
// time, and it read every file's data itself: a stat or a listing of any other file of the mount
// waited until the disk had given the pages (for ever on a stalled disk), where the kernel's
// overlay answers them at once. Now the loop asks the page cache first (RWF_NOWAIT) and hands a
// READ it cannot answer so to a read thread, which answers it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { inDataRead, inPread } from '../helpers/in-syscall.js';
import { layerDirs } from '../helpers/layers.js';
import { bounded, othersAnswered } from '../helpers/others-answered.js';
import { type StallableDisk, ext4At, noXfs, stallableExt4At, xfsLayersAt } from '../helpers/scratch-fs.js';

/** Bytes no two offsets of a file share in a row (a read at the wrong offset shows). */
function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  return b;
}

/**
 * Drop the pages of `paths` and of the disk's image from the page cache (written back first):
 * their next read goes to the disk. (dd iflag=nocache count=0: posix_fadvise DONTNEED of all.)
 */
function uncache(disk: StallableDisk, paths: string[]): void {
  execFileSync('sync', ['-f', disk.dir]);
  for (const p of [...paths, disk.image]) execFileSync('dd', [`if=${p}`, 'iflag=nocache', 'count=0', 'status=none']);
}

/**
 * A mount whose lower is on a disk the test can stall, with lower files `big1`, `big2` (8 MiB),
 * `c0`…`c9` (1 MiB; all their pages dropped), `small` and `sub/f`; with `prime`, one cold read
 * made through it first, so that a read thread runs. With `upperHere`, upper and work on that disk
 * too; `size`: the disk's. With `second`, another lower below it on an
 * ext4 of its own (never stalled), with `other` (4 MiB, its pages dropped). `extra`: more mount
 * options.
 */
async function onStallableLower(t: Test, { second = false, extra = '', prime = true, upperHere = false, size = '64M' } = {}) {
  const d = layerDirs(t, second ? 2 : 1);
  const disk = await stallableExt4At(t, d, join(d.root, 'disk'), size);
  if (upperHere) {
    // Upper and work on the lower's disk: a copy-up copies in the kernel (copy_file_range), not
    // through read and write as between two filesystems.
    d.upper = join(disk.dir, 'u');
    d.work = join(disk.dir, 'w');
    mkdirSync(d.upper);
    mkdirSync(d.work);
  }
  if (second) {
    const l2 = join(ext4At(d, join(d.root, 'disk2'), '32M'), 'l2');
    mkdirSync(l2);
    writeFileSync(join(l2, 'other'), pattern(4 << 20, 4));
    execFileSync('sync', ['-f', l2]);
    execFileSync('dd', [`if=${join(l2, 'other')}`, 'iflag=nocache', 'count=0', 'status=none']);
    d.lowers[1] = l2;
  }
  const l = join(disk.dir, 'l');
  mkdirSync(join(l, 'sub'), { recursive: true });
  d.lowers[0] = l;
  const data = [pattern(8 << 20, 1), pattern(8 << 20, 2)];
  writeFileSync(join(l, 'big1'), data[0]!);
  writeFileSync(join(l, 'big2'), data[1]!);
  writeFileSync(join(l, 'prime'), pattern(1 << 20, 3));
  for (let i = 0; i < 10; i++) writeFileSync(join(l, `c${i}`), pattern(1 << 20, 10 + i));
  writeFileSync(join(l, 'small'), 'small\n');
  writeFileSync(join(l, 'sub', 'f'), 'f');
  uncache(disk, ['big1', 'big2', 'prime', ...Array.from({ length: 10 }, (_, i) => `c${i}`)].map((f) => join(l, f)));
  const m = await mountFuse(t, d, extra);
  if (prime) {
    t.equal((await bounded('cat', [join(d.merged, 'prime')])).exitCode, 0, 'a first cold read');
    await sleep(1000);
  }
  return { d, disk, data, daemon: m.child.pid! };
}

/** Wait until `n` threads of the daemon are in pread(2) (held by the stalled disk). */
async function reading(daemon: number, n: number): Promise<void> {
  for (let i = 0; inPread(daemon) < n; i++) {
    if (i === 1000) throw new Error(`the daemon never had ${n} reads waiting`);
    await sleep(10);
  }
}

/** `path`'s bytes, read by cat in another process (killed after `timeout` ms). */
function catBytes(path: string, timeout = 60_000) {
  return execa('cat', [path], { encoding: 'buffer', reject: false, timeout, killSignal: 'SIGKILL' });
}

/**
 * Stall the disk, read `name` through the mount, and while that read waits for the disk check that
 * other requests are answered; then resume it: the reader's result.
 */
async function readWhileStalled(t: Test, merged: string, disk: StallableDisk, daemon: number, name: string) {
  disk.stall();
  const reader = catBytes(join(merged, name));
  try {
    await reading(daemon, 1);
    await othersAnswered(t, merged);
  } finally {
    disk.resume();
  }
  return reader;
}

t.test('a stat and a listing of other files are answered while a READ waits for a stalled lower disk', async (t) => {
  const { d, disk, data, daemon } = await onStallableLower(t);
  disk.stall();
  const reader = catBytes(join(d.merged, 'big1'));
  try {
    await reading(daemon, 1);
    await othersAnswered(t, d.merged);
    // Its data is in memory, but as a written page the disk never gave: RWF_NOWAIT refuses such a
    // page (it is not marked up to date), so it goes to a read thread too, queued behind the one
    // the stalled disk holds; the loop starts another for it once it has waited 20 ms.
    const inMemory = await bounded('cat', [join(d.merged, 'small')]);
    t.equal(inMemory.stdout, 'small', 'a read of data in memory was answered');
    t.equal(reader.exitCode, null, 'while the cold read still waited');
  } finally {
    disk.resume();
  }
  const r = await reader;
  t.equal(r.exitCode, 0, 'then the read returned');
  t.ok(Buffer.from(r.stdout).equals(data[0]!), 'all of the file, in order');
});

t.test("the first cold read of a layer's disk, stalled, holds only its reader too", async (t) => {
  // Read by the loop while the disk's first read thread started, it held the mount (a review).
  const { d, disk, data, daemon } = await onStallableLower(t, { prime: false });
  const r = await readWhileStalled(t, d.merged, disk, daemon, 'big1');
  t.ok(Buffer.from(r.stdout).equals(data[0]!), 'then it read whole');
});

t.test('two cold reads wait at once, each on its own thread, and each gets its file', async (t) => {
  const { d, disk, data, daemon } = await onStallableLower(t);
  disk.stall();
  const readers = [catBytes(join(d.merged, 'big1')), catBytes(join(d.merged, 'big2'))];
  try {
    await reading(daemon, 2);
    t.equal((await bounded('stat', ['-c', '%s', join(d.merged, 'small')])).stdout, '6', 'a stat was answered');
  } finally {
    disk.resume();
  }
  const [a, b] = await Promise.all(readers);
  t.ok(Buffer.from(a!.stdout).equals(data[0]!), 'big1 whole');
  t.ok(Buffer.from(b!.stdout).equals(data[1]!), 'big2 whole');
});

/** CPU time (ms) process `pid` has used, from /proc/<pid>/stat (utime + stime, at 100 ticks a second). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

t.test('ten cold reads stuck on a stalled disk: eight threads hold eight, two wait in the queue, the loop does not spin', async (t) => {
  const { d, disk, daemon } = await onStallableLower(t);
  disk.stall();
  const readers = Array.from({ length: 10 }, (_, i) => catBytes(join(d.merged, `c${i}`)));
  try {
    await reading(daemon, 8);
    // Time for the loop to have started a ninth thread, or spun, had it been going to.
    await sleep(300);
    const before = cpuMs(daemon);
    await sleep(1000);
    const used = cpuMs(daemon) - before;
    t.ok(used < 200, `the daemon used ${used} ms of CPU in 1 s`);
    t.equal(inPread(daemon), 8, 'eight reads on eight threads');
    await othersAnswered(t, d.merged);
  } finally {
    disk.resume();
  }
  const all = await Promise.all(readers);
  t.same(all.map((r) => r.exitCode), Array(10).fill(0), 'then all ten read');
});

t.test('a cold read of another lower is answered while eight reads wait for a stalled one', async (t) => {
  const { d, disk, daemon } = await onStallableLower(t, { second: true });
  disk.stall();
  const readers = Array.from({ length: 10 }, (_, i) => catBytes(join(d.merged, `c${i}`)));
  try {
    await reading(daemon, 8);
    const other = await catBytes(join(d.merged, 'other'), 10_000);
    t.equal(other.exitCode, 0, 'answered');
    t.ok(Buffer.from(other.stdout).equals(pattern(4 << 20, 4)), 'with its data');
  } finally {
    disk.resume();
  }
  t.same((await Promise.all(readers)).map((r) => r.exitCode), Array(10).fill(0), 'then all ten read');
});

t.test('a cold read of a metacopy file (metacopy=on) goes to a read thread like any other', async (t) => {
  const { d, disk, daemon } = await onStallableLower(t, { extra: 'metacopy=on' });
  // Metadata only: the upper holds a metacopy file, the data stays below, on the stalled disk.
  execFileSync('chown', ['1000', join(d.merged, 'big2')]);
  uncache(disk, [join(d.lowers[0]!, 'big2')]);
  const r = await readWhileStalled(t, d.merged, disk, daemon, 'big2');
  t.ok(Buffer.from(r.stdout).equals(pattern(8 << 20, 2)), 'then it read whole');
});

t.test("a read's error reaches its caller: EIO from a failed disk; the mount goes on", async (t) => {
  const { d, disk, daemon } = await onStallableLower(t);
  disk.stall();
  const reader = catBytes(join(d.merged, 'big1'));
  await reading(daemon, 1);
  disk.fail();
  const r = await reader;
  t.not(r.exitCode, 0, 'cat failed', { got: [r.exitCode, Buffer.from(r.stderr).toString(), r.stdout.length] });
  t.match(Buffer.from(r.stderr).toString(), /Input\/output error/);
  t.equal((await bounded('stat', ['-c', '%s', join(d.merged, 'small')])).stdout, '6', 'a stat is still answered');
});

// A copy-up copies its lower's data with copy_file_range on the loop; of a cold file on a stalled
// disk, that held every request of the mount (a write open of such a file was enough). Now the
// chunks the page cache lacks are read in by a read thread while the loop serves others.

/** Wait until a thread of the daemon reads the lower's data for a copy-up (on the loop or not). */
async function copying(daemon: number): Promise<void> {
  for (let i = 0; inDataRead(daemon) === 0; i++) {
    if (i === 1000) throw new Error('the daemon never read for its copy-up');
    await sleep(10);
  }
}

/** A shell appending `x` to `path` (a copy-up, then one byte written), killed after 60 s. */
function append(path: string) {
  return execa('sh', ['-c', 'printf x >>"$1"', 'sh', path], { reject: false, timeout: 60_000, killSignal: 'SIGKILL' });
}

/**
 * Stall the disk, append to `name` through the mount (a copy-up), and while its copy waits for the
 * disk check that other requests are answered; then resume it, and the write returns.
 */
async function copiedUpWhileStalled(t: Test, merged: string, disk: StallableDisk, daemon: number, name: string): Promise<void> {
  disk.stall();
  const writer = append(join(merged, name));
  try {
    await copying(daemon);
    await othersAnswered(t, merged);
    t.equal(writer.exitCode, null, 'while the copy-up still waited');
  } finally {
    disk.resume();
  }
  t.equal((await writer).exitCode, 0, 'then the write returned');
}

t.test("a copy-up of a cold file on a stalled lower disk holds only its writer", async (t) => {
  const { d, disk, data, daemon } = await onStallableLower(t);
  disk.stall();
  const writer = append(join(d.merged, 'big1'));
  try {
    await copying(daemon);
    await othersAnswered(t, d.merged);
    t.equal((await bounded('cat', [join(d.merged, 'small')])).stdout, 'small', 'a read of a file in memory was answered');
    t.equal(writer.exitCode, null, 'while the copy-up still waited');
  } finally {
    disk.resume();
  }
  t.equal((await writer).exitCode, 0, 'then the write returned');
  const want = Buffer.concat([data[0]!, Buffer.from('x')]);
  t.ok(readFileSync(join(d.upper, 'big1')).equals(want), 'the upper holds the whole copy and the byte');
  t.ok(readFileSync(join(d.merged, 'big1')).equals(want), 'and the mount shows it');
});

t.test('a copy-up within one filesystem (copy_file_range) reads its cold chunks off the loop too', async (t) => {
  const { d, disk, data, daemon } = await onStallableLower(t, { upperHere: true });
  await copiedUpWhileStalled(t, d.merged, disk, daemon, 'big1');
  t.ok(readFileSync(join(d.merged, 'big1')).equals(Buffer.concat([data[0]!, Buffer.from('x')])), 'data and byte');
});

t.test('a copy-up whose metacopy data is cold (metacopy=on) reads it in off the loop too', async (t) => {
  const { d, disk, daemon } = await onStallableLower(t, { extra: 'metacopy=on' });
  execFileSync('chown', ['1000', join(d.merged, 'big2')]);
  uncache(disk, [join(d.lowers[0]!, 'big2')]);
  disk.stall();
  const writer = append(join(d.merged, 'big2'));
  try {
    await copying(daemon);
    await othersAnswered(t, d.merged);
  } finally {
    disk.resume();
  }
  t.equal((await writer).exitCode, 0, 'then the write returned');
  t.ok(readFileSync(join(d.merged, 'big2')).equals(Buffer.concat([pattern(8 << 20, 2), Buffer.from('x')])), 'data and byte');
});

t.test("a copy-up's read that fails (EIO) fails its writer and leaves no upper copy; the mount goes on", async (t) => {
  const { d, disk, daemon } = await onStallableLower(t);
  disk.stall();
  const writer = append(join(d.merged, 'big1'));
  await copying(daemon);
  disk.fail();
  const w = await writer;
  t.not(w.exitCode, 0, 'the write failed', { got: [w.exitCode, w.stderr] });
  t.match(w.stderr, /Input\/output error/);
  t.throws(() => readFileSync(join(d.upper, 'big1')), { code: 'ENOENT' }, 'no upper copy');
  t.equal((await bounded('stat', ['-c', '%s', join(d.merged, 'small')])).stdout, '6', 'a stat is still answered');
});

t.test('a cold copy-up of several read windows (8 MiB each, the next read while one is copied) copies every byte', async (t) => {
  const { d, disk } = await onStallableLower(t, { prime: false });
  const data = pattern((20 << 20) + 4, 7);
  writeFileSync(join(d.lowers[0]!, 'huge'), data);
  uncache(disk, [join(d.lowers[0]!, 'huge')]);
  const w = await append(join(d.merged, 'huge'));
  t.equal(w.exitCode, 0, 'the write returned');
  const want = Buffer.concat([data, Buffer.from('x')]);
  t.ok(readFileSync(join(d.upper, 'huge')).equals(want), 'the upper holds the whole copy and the byte');
  // The same through a mount of its own with volatile: copied in 16 MiB chunks, each a window of its own.
  const v = await onStallableLower(t, { prime: false, extra: 'volatile' });
  writeFileSync(join(v.d.lowers[0]!, 'huge'), data);
  uncache(v.disk, [join(v.d.lowers[0]!, 'huge')]);
  t.equal((await append(join(v.d.merged, 'huge'))).exitCode, 0, 'volatile: the write returned');
  t.ok(readFileSync(join(v.d.upper, 'huge')).equals(want), 'volatile: every byte');
});

/** How many eventfds process `pid` holds. */
function eventFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[eventfd]';
    } catch {
      return false;
    }
  }).length;
}

/** Bytes process `pid` (all its threads) has had read from storage (/proc/<pid>/io read_bytes). */
function readBytes(pid: number): number {
  return Number(/read_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

t.test('a copy-up whose start is in memory and the rest on a stalled disk: the loop copies the start, a thread waits for the rest', async (t) => {
  // The review's: the loop's own copy of the cached start read ahead into the cold rest, and a page
  // being read in counts as cached (cachestat), so the loop then waited for the stalled disk itself.
  const { d, disk, daemon } = await onStallableLower(t, { prime: false, size: '128M' });
  const data = pattern(40 << 20, 9);
  writeFileSync(join(d.lowers[0]!, 'half'), data);
  uncache(disk, [join(d.lowers[0]!, 'half')]);
  // Its first 12 MiB read (and what that read ahead), then time for that read-ahead to land.
  execFileSync('dd', [`if=${join(d.lowers[0]!, 'half')}`, 'of=/dev/null', 'bs=1M', 'count=12', 'status=none']);
  await sleep(500);
  await copiedUpWhileStalled(t, d.merged, disk, daemon, 'half');
  t.ok(readFileSync(join(d.upper, 'half')).equals(Buffer.concat([data, Buffer.from('x')])), 'every byte');
});

t.test('a writer killed while its copy-up waits for a stalled disk is gone at once, and leaves no upper copy', async (t) => {
  // The kernel's overlay waits killably for the page; the copy-up used to hold the caller until the
  // disk answered (its read thread's bell was the session's one doorbell, not to be given up).
  const { d, disk, daemon } = await onStallableLower(t);
  const bells = eventFds(daemon);
  disk.stall();
  const writer = append(join(d.merged, 'big1'));
  try {
    await copying(daemon);
    const killedAt = Date.now();
    writer.kill('SIGKILL');
    const gone = await Promise.race([writer.then(() => true), sleep(3000).then(() => false)]);
    t.ok(gone, `the writer was gone ${gone ? `after ${Date.now() - killedAt} ms` : 'not within 3 s'}`);
    await othersAnswered(t, d.merged);
  } finally {
    disk.resume();
  }
  await writer;
  // The abandoned read ends on its own, its bell closed within a second and a half of it, with no
  // request to the mount meanwhile; the mount goes on.
  await sleep(2500);
  t.equal(eventFds(daemon), bells, 'no eventfd left open');
  t.throws(() => readFileSync(join(d.upper, 'big1')), { code: 'ENOENT' }, 'no upper copy');
  t.ok(readFileSync(join(d.merged, 'big1')).equals(pattern(8 << 20, 1)), 'the lower file, whole');
  t.equal((await append(join(d.merged, 'big1'))).exitCode, 0, 'a copy-up of it again');
});

t.test('on XFS a cold copy-up reads none of its data (it clones)', { skip: noXfs }, async (t) => {
  // A review found 704cd29's read threads reading all of a cold 1 GiB file (1409 ms) that
  // copy_file_range had cloned in 76 ms. (Before 704cd29 this passed too: copy_file_range cloned.
  // That the copy-up now asks FICLONE itself, and skips the fsync as the kernel does, is
  // src/fuse/copy-up.test.ts's.)
  const d = layerDirs(t, 1);
  const xfs = join(d.root, 'xfs');
  xfsLayersAt(d, xfs, '512M');
  const data = pattern(64 << 20, 11);
  writeFileSync(join(d.lowers[0]!, 'f'), data);
  execFileSync('sync', ['-f', xfs]);
  execFileSync('dd', [`if=${join(d.lowers[0]!, 'f')}`, 'iflag=nocache', 'count=0', 'status=none']);
  const m = await mountFuse(t, d, '');
  const before = readBytes(m.child.pid!);
  t.equal((await append(join(d.merged, 'f'))).exitCode, 0, 'the write returned');
  const read = readBytes(m.child.pid!) - before;
  t.ok(read < 1 << 20, `the daemon read ${read} bytes from disk`);
  t.ok(readFileSync(join(d.upper, 'f')).equals(Buffer.concat([data, Buffer.from('x')])), 'every byte');
});
