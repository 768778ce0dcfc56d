import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import { dataRootOf, inUseReason, optionValue, refuseBroken, refuseNoSpace, refuseNotLegacy } from './migrate-guard.js';

t.test('the data root a dockerd command line names', async (t) => {
  t.equal(optionValue(['dockerd', '--data-root', '/x'], ['--data-root']), '/x');
  t.equal(optionValue(['dockerd', '--data-root=/y'], ['--data-root']), '/y');
  t.equal(dataRootOf(['dockerd', '-g', '/old']), '/old', 'the pre-17.05 spelling');
  t.equal(dataRootOf(['dockerd', '--graph=/old2']), '/old2');
  t.equal(dataRootOf(['dockerd', '--config-file', '/nonexistent.json']), '/var/lib/docker', 'no config: the default');
});

t.test('in use: a process working inside the root; free otherwise', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovl-guard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(inUseReason(dir), null);
  const child = spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  t.equal(inUseReason(dir), `in use: pid ${child.pid} works inside it`);
});

t.test('refusals are one-line usage errors naming the path', async (t) => {
  t.throws(() => refuseNotLegacy('/nonexistent', false), new UsageError('/nonexistent: not a legacy overlay data root (no image/overlay/, no overlay/)'));
  t.throws(() => refuseBroken([{ path: '/r/x', reason: 'gone' }, { path: '/r/y', reason: 'gone' }]),
    new UsageError('/r/x: gone; refusing to migrate an incomplete root (and 1 more problem(s))'));
  t.doesNotThrow(() => refuseBroken([]));
  t.throws(() => refuseNoSpace(join(tmpdir(), 'not-yet', 'there'), { inodes: 1, bytes: 2 ** 60 }), /^.*: not enough space: migrate needs .*, .* free$/);
  t.doesNotThrow(() => refuseNoSpace(tmpdir(), { inodes: 1, bytes: 1 }));
});
