// mmap through libc: a shared writable mapping reaches the file, an aligned scratch buffer is
// page-aligned, and a failed mmap is an OvlError with the errno and the path.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import koffi from 'koffi';
import { withAlignedBuffer, withSharedMapping } from './mapped.js';

const root = mkdtempSync(join(tmpdir(), 'ovlkit-mapped-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('a MAP_SHARED write is in the file after msync; a read mapping sees the file', async (t) => {
  const f = join(root, 'f');
  writeFileSync(f, 'abcd');
  const fd = openSync(f, 'r+');
  try {
    withSharedMapping(fd, 4, true, f, (mem) => void mem.set(Buffer.from('XY'), 1));
    t.equal(readFileSync(f, 'utf8'), 'aXYd');
    t.equal(withSharedMapping(fd, 4, false, f, (mem) => Buffer.from(mem).toString()), 'aXYd');
  } finally {
    closeSync(fd);
  }
});

t.test('an aligned buffer starts on a page', async (t) => {
  withAlignedBuffer(8192, (buf) => {
    t.equal(buf.length, 8192);
    t.equal(Number(koffi.address(buf)) % 4096, 0);
  });
});

t.test('a failed mmap names the errno and the path', async (t) => {
  t.throws(() => withSharedMapping(-1, 4, false, '/nowhere', () => undefined), { code: 'EBADF', path: '/nowhere', message: 'mmap failed: EBADF' });
});
