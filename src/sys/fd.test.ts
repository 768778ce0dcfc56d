import { closeSync, constants, mkdtempSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { closeFd, dupFd, eventFd, fdatasyncFd, fsyncFd, openFile, readEventFd, startWriteback } from './fd.js';

const dir = mkdtempSync(join(tmpdir(), 'ovlkit-fd-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// The flags field of /proc/self/fdinfo/<fd>, octal.
const fdFlags = (fd: number): number => parseInt(/^flags:\s+(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);

t.test('openFile opens with the flags given and O_CLOEXEC, as node does; node reads and closes it', async (t) => {
  const f = join(dir, 'f');
  writeFileSync(f, 'abc');
  const fd = openFile(f, constants.O_RDONLY | constants.O_NOATIME);
  const flags = fdFlags(fd);
  t.equal(flags & 0o2000000, 0o2000000, 'O_CLOEXEC');
  t.equal(flags & constants.O_NOATIME, constants.O_NOATIME, 'O_NOATIME');
  const b = Buffer.alloc(3);
  t.equal(readSync(fd, b), 3);
  t.equal(b.toString(), 'abc');
  closeSync(fd);
});

t.test('fsyncFd and closeFd on an open fd; errors carry the errno and the path', async (t) => {
  const fd = openFile(join(dir, 'f'), constants.O_WRONLY);
  fsyncFd(fd, 'f');
  closeFd(fd);
  t.throws(() => fsyncFd(fd, join(dir, 'f')), { code: 'EBADF', path: join(dir, 'f') });
  t.throws(() => closeFd(fd), { code: 'EBADF' });
  t.throws(() => openFile(join(dir, 'missing'), constants.O_RDONLY), { code: 'ENOENT', path: join(dir, 'missing') });
});

// That it is called, with which ranges and before the fsync: src/fuse/copy-up.test.ts (strace).
t.test('startWriteback binds sync_file_range and leaves the data to the fsync after it', async (t) => {
  const f = join(dir, 'wb');
  writeFileSync(f, Buffer.alloc(1 << 16, 1));
  const fd = openFile(f, constants.O_WRONLY);
  startWriteback(fd, 0, 1 << 16);
  fsyncFd(fd, f);
  closeFd(fd);
  t.ok(readFileSync(f).equals(Buffer.alloc(1 << 16, 1)));
});

t.test('fdatasyncFd syncs an fd; errors carry the errno and the path', async (t) => {
  const f = join(dir, 'dirty');
  writeFileSync(f, '');
  const fd = openFile(f, constants.O_RDWR);
  writeSync(fd, Buffer.alloc(1 << 20, 1));
  fdatasyncFd(fd, f);
  closeFd(fd);
  t.throws(() => fdatasyncFd(fd, f), { code: 'EBADF', path: f });
});

t.test('dupFd gives a second fd of the same open file, with O_CLOEXEC', async (t) => {
  const f = join(dir, 'dup');
  writeFileSync(f, 'abcdef');
  const fd = openFile(f, constants.O_RDONLY);
  const two = dupFd(fd);
  t.not(two, fd);
  t.equal(fdFlags(two) & 0o2000000, 0o2000000, 'O_CLOEXEC');
  closeFd(fd);
  const b = Buffer.alloc(6);
  t.equal(readSync(two, b), 6, 'still reads once the first is closed');
  t.equal(b.toString(), 'abcdef');
  closeFd(two);
  t.throws(() => dupFd(two), { code: 'EBADF' });
});

t.test('eventFd: what is written to it is read once, as one count; nothing read gives 0', async (t) => {
  const fd = eventFd();
  t.equal(fdFlags(fd) & 0o4000, 0o4000, 'O_NONBLOCK');
  t.equal(readEventFd(fd), 0);
  const eight = Buffer.alloc(8);
  eight.writeBigUInt64LE(5n);
  writeSync(fd, eight);
  writeSync(fd, eight);
  t.equal(readEventFd(fd), 10);
  t.equal(readEventFd(fd), 0);
  closeFd(fd);
  t.throws(() => readEventFd(fd), { code: 'EBADF' });
});
