// readCached takes what the page cache holds and says when it holds less. The file is on an ext4
// image (tmpfs refuses RWF_NOWAIT: its data is always in memory), its pages dropped with
// dd iflag=nocache, which asks posix_fadvise(DONTNEED) of clean pages. The image's loop device
// reads nothing ahead (read_ahead_kb 0): the kernel then reads only what is asked, and what a
// test left uncached stays so, however fast the device answers.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import t from 'tap';
import { layerDirs } from '../../test/helpers/layers.js';
import { ext4At, tmpfsAt } from '../../test/helpers/scratch-fs.js';
import { NOT_CACHED, NOWAIT_REFUSED, rangeCached, readCached, readToEnd } from './read-cached.js';

const MiB = 1 << 20;

/** A file of `size` random-ish bytes on a fresh ext4, written back and dropped from the page cache. */
function uncached(t: Parameters<typeof layerDirs>[0], size: number) {
  const d = layerDirs(t, 1);
  const disk = ext4At(d, join(d.root, 'disk'), '32M');
  const dev = execFileSync('findmnt', ['-no', 'SOURCE', disk], { encoding: 'utf8' }).trim();
  writeFileSync(`/sys/block/${basename(dev)}/queue/read_ahead_kb`, '0');
  const path = join(disk, 'f');
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + (i >> 12)) & 255;
  writeFileSync(path, data);
  execFileSync('sync', ['-f', path]);
  execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
  const fd = openSync(path, constants.O_RDONLY);
  t.teardown(() => closeSync(fd));
  return { path, data, fd };
}

t.test('data the page cache lacks is NOT_CACHED; a read of it after that finds it', async (t) => {
  const { data, fd } = uncached(t, 4 * MiB);
  const buf = Buffer.alloc(MiB + 16);
  t.equal(readCached(fd, buf, 16, MiB, 2 * MiB), NOT_CACHED);
  // What a thread does next: a read that waits.
  const again = readFileSync(`/proc/self/fd/${fd}`);
  t.ok(again.equals(data), 'the file reads whole');
  t.equal(readCached(fd, buf, 16, MiB, 2 * MiB), MiB, 'now all of it is cached');
  t.ok(buf.subarray(16).equals(data.subarray(2 * MiB, 3 * MiB)), 'into the buffer from `at` on');
});

t.test('a read past the end is short (the end of the file), and at or past it 0', async (t) => {
  const { data, fd } = uncached(t, MiB + 100);
  readFileSync(`/proc/self/fd/${fd}`);
  const buf = Buffer.alloc(MiB);
  t.equal(readCached(fd, buf, 0, 4096, MiB), 100);
  t.ok(buf.subarray(0, 100).equals(data.subarray(MiB)));
  t.equal(readCached(fd, buf, 0, 4096, MiB + 100), 0);
  t.equal(readCached(fd, buf, 0, 4096, 4 * MiB), 0);
});

t.test('cached pages then a missing one: NOT_CACHED, not a short read the kernel would take for the end', async (t) => {
  const { path, fd } = uncached(t, 16 * MiB);
  // The first MiB, read by another open file.
  execFileSync('dd', [`if=${path}`, 'of=/dev/null', 'bs=64k', 'count=16', 'status=none']);
  const buf = Buffer.alloc(8 * MiB);
  t.equal(readCached(fd, buf, 0, MiB, 0), MiB, 'the cached start reads');
  t.equal(readCached(fd, buf, 0, 8 * MiB, 0), NOT_CACHED);
});

t.test('tmpfs refuses to read without waiting: NOWAIT_REFUSED', async (t) => {
  const d = layerDirs(t, 1);
  const at = tmpfsAt(d, join(d.root, 'tmp'));
  writeFileSync(join(at, 'f'), 'abc');
  const fd = openSync(join(at, 'f'), constants.O_RDONLY);
  t.teardown(() => closeSync(fd));
  t.equal(readCached(fd, Buffer.alloc(16), 0, 16, 0), NOWAIT_REFUSED);
});

t.test('other errors are thrown with their errno', async (t) => {
  const { path } = uncached(t, 1);
  const fd = openSync(path, constants.O_WRONLY);
  t.teardown(() => closeSync(fd));
  t.throws(() => readCached(fd, Buffer.alloc(16), 0, 16, 0), { code: 'EBADF' }, 'not open for reading');
  t.throws(() => readCached(-1, Buffer.alloc(16), 0, 16, 0), { code: 'EBADF' }, 'no fd');
});

t.test('a file of whole pages ends on a page boundary: the read after it (0) says so', async (t) => {
  const { data, fd } = uncached(t, MiB);
  readFileSync(`/proc/self/fd/${fd}`);
  const buf = Buffer.alloc(8192);
  t.equal(readCached(fd, buf, 0, 8192, MiB - 4096), 4096);
  t.ok(buf.subarray(0, 4096).equals(data.subarray(MiB - 4096)));
});

t.test('readToEnd reads to the end, short only there, from a cold file too', async (t) => {
  const { data, fd } = uncached(t, 3 * MiB + 5);
  const buf = Buffer.alloc(2 * MiB + 16);
  t.equal(readToEnd(fd, buf, 16, 2 * MiB, MiB), 2 * MiB);
  t.ok(buf.subarray(16).equals(data.subarray(MiB, 3 * MiB)));
  t.equal(readToEnd(fd, buf, 0, MiB, 3 * MiB - 4096), 4096 + 5, 'short at the end');
  t.equal(readToEnd(fd, buf, 0, MiB, 3 * MiB), 5, 'short inside a page');
  t.equal(readToEnd(fd, buf, 0, MiB, 4 * MiB), 0, 'past the end');
  t.equal(readToEnd(fd, buf, 0, 4, 2n ** 60n), 0, 'a bigint offset, read once');
  t.throws(() => readToEnd(99_999, buf, 0, 4, 0), { code: 'EBADF' });
});

t.test('rangeCached: true only when every page of the range is in the page cache, up to the end of the file', async (t) => {
  const { path, fd } = uncached(t, 4 * MiB + 100);
  t.notOk(rangeCached(fd, 0, MiB), 'nothing read yet');
  t.ok(rangeCached(fd, MiB, MiB), 'an empty range');
  execFileSync('dd', [`if=${path}`, 'of=/dev/null', 'bs=64k', 'skip=16', 'count=16', 'status=none']);
  t.ok(rangeCached(fd, MiB, 2 * MiB), 'the MiB read');
  t.ok(rangeCached(fd, MiB + 4096, MiB + 8192), 'a page of it');
  t.notOk(rangeCached(fd, MiB - 4096, 2 * MiB), 'a page before it is not');
  t.notOk(rangeCached(fd, MiB, 2 * MiB + 1), 'nor one after it');
  readFileSync(`/proc/self/fd/${fd}`);
  t.ok(rangeCached(fd, 0, 4 * MiB + 100), 'the whole file, its last page partly past the end');
  t.ok(rangeCached(fd, 4 * MiB + 50, 4 * MiB + 100), 'a range inside the last page');
});

t.test("rangeCached of a tmpfs file is true for its data; of a kernel overlay's file it cannot tell (false)", async (t) => {
  const d = layerDirs(t, 1);
  const dir = tmpfsAt(d, join(d.root, 'tmp'));
  const path = join(dir, 'f');
  writeFileSync(path, Buffer.alloc(MiB, 1));
  const fd = openSync(path, constants.O_RDONLY);
  t.teardown(() => closeSync(fd));
  t.ok(rangeCached(fd, 0, MiB));
  writeFileSync(join(d.lowers[0]!, 'g'), Buffer.alloc(MiB, 2));
  readFileSync(join(d.lowers[0]!, 'g'));
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${d.work}`, d.merged]);
  d.track(d.merged);
  const ofd = openSync(join(d.merged, 'g'), constants.O_RDONLY);
  t.teardown(() => closeSync(ofd));
  t.notOk(rangeCached(ofd, 0, MiB), "the overlay's own mapping holds no pages");
  t.equal(readCached(ofd, Buffer.alloc(4096), 0, 4096, 0), NOWAIT_REFUSED, 'and it refuses RWF_NOWAIT: a copy-up reads it in place');
});
