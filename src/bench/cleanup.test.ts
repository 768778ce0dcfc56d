import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lingering, reapDaemons, unmountBelow } from './cleanup.js';

t.test('a process still naming a run dir is found and stopped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-reap-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A stand-in daemon: it only has to carry the path on its command line, like fuse-overlayfs's -o upperdir=.
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', `upperdir=${join(dir, 'upper')}`], { stdio: 'ignore' });
  const exited = new Promise((res) => child.on('exit', res));
  t.teardown(() => void child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 100));
  t.same(lingering(dir).map((l) => l.pid), [child.pid]);
  const reaped = await reapDaemons(dir, 200);
  t.same(reaped.map((l) => l.pid), [child.pid]);
  t.equal(await exited, null, 'it ended by signal');
  t.same(lingering(dir), []);
  t.same(await unmountBelow(dir), [], 'nothing was mounted there');
});
