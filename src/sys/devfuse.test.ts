// readDev/writeDev: the loop's read and write of /dev/fuse through libc. Their expected refusals
// (nothing queued, the request gone, unmounted) come back as negated errnos, without a throw;
// anything else throws an OvlError as every src/sys call does. A pipe stands in for the device.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import t from 'tap';
import { errnoNumber } from '../errors.js';
import type { Teardowns } from '../../test/helpers/layers.js';
import { readDev, writeDev } from './devfuse.js';

/** An empty non-blocking fifo opened both ways (a read finds nothing: EAGAIN). */
function fifo(t: Teardowns & { testdir(): string }): number {
  const dir = t.testdir();
  const path = `${dir}/f`;
  execFileSync('mkfifo', [path]);
  const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  t.teardown(() => closeSync(fd));
  return fd;
}

t.test('a write is its length; the read returns what was written, into the buffer given', async (t) => {
  const fd = fifo(t);
  const out = Buffer.from('request-bytes');
  t.equal(writeDev(fd, out, 7), 7);
  const buf = Buffer.alloc(64, 0xff);
  t.equal(readDev(fd, buf), 7);
  t.equal(buf.toString('latin1', 0, 7), 'request');
  t.equal(buf[7], 0xff, 'nothing past what was read');
});

t.test('nothing queued is an answer (-EAGAIN), not a throw', async (t) => {
  const fd = fifo(t);
  t.equal(readDev(fd, Buffer.alloc(16)), -errnoNumber('EAGAIN'));
});

t.test('any other refusal throws with its errno', async (t) => {
  const fd = openSync('/dev/null', 'r');
  closeSync(fd);
  t.throws(() => readDev(fd, Buffer.alloc(16)), { code: 'EBADF' });
  t.throws(() => writeDev(fd, Buffer.alloc(16)), { code: 'EBADF' });
});
