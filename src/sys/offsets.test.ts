// Sizes and offsets past 2^53 on a real tmpfs file (limit 2^63 - 1): the bigint path goes to libc
// and lands exactly; a number still goes through node:fs.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scratchFilesystems } from '../../test/helpers/scratch.js';
import { truncateAt, truncateFd, writeAt } from './offsets.js';

const B = 2n ** 53n + 1n;

t.test('truncate, ftruncate and pwrite past 2^53 are exact; numbers as before', async (t) => {
  const { tmpfs } = scratchFilesystems(t, 'offsets');
  const path = join(tmpfs, 'f');
  const fd = openSync(path, 'w+');
  t.teardown(() => closeSync(fd));
  const size = () => fstatSync(fd, { bigint: true }).size;
  truncateAt(path, B);
  t.equal(size(), B, 'truncate 2^53 + 1');
  truncateFd(fd, B + 2n);
  t.equal(size(), B + 2n, 'ftruncate 2^53 + 3');
  t.equal(writeAt(fd, Buffer.from('zw'), B + 4n), 2);
  t.equal(size(), B + 6n, 'pwrite at 2^53 + 5 ends at 2^53 + 7');
  const b = Buffer.alloc(4);
  t.equal(readSync(fd, b, 0, 4, B + 3n), 3, 'up to the end');
  t.equal(b.subarray(0, 3).toString('hex'), '007a77', 'the bytes where they were written');
  truncateFd(fd, 2n ** 63n - 1n);
  t.equal(size(), 2n ** 63n - 1n, 'ftruncate 2^63 - 1');
  truncateFd(fd, 5);
  t.equal(writeAt(fd, Buffer.from('ab'), 1), 2);
  truncateAt(path, 4);
  t.equal(size(), 4n, 'numbers through node:fs');
  t.throws(() => writeAt(fd, Buffer.from('qq'), 2n ** 63n - 1n), { code: 'EINVAL' }, 'past 2^63 - 1: the kernel\'s EINVAL');
});
