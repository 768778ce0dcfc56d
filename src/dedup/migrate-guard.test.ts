import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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
  // pflag's string flag Set overwrites: given twice, dockerd uses the last one.
  t.equal(dataRootOf(['dockerd', '--data-root', '/first', '--data-root=/last']), '/last');
  t.equal(dataRootOf(['dockerd', '--data-root', '/first', '-g', '/last']), '/last', 'aliases of one flag');
  t.equal(dataRootOf(['dockerd', '--data-root', 'rel'], '/w'), '/w/rel', 'relative to dockerd\'s working directory');
});

t.test('a dockerd started elsewhere with a relative data root is found', async (t) => {
  const w = mkdtempSync(join(tmpdir(), 'ovl-guard-cwd-'));
  t.teardown(() => rmSync(w, { recursive: true, force: true }));
  // One root per case: a killed case's bash fork can linger a moment with the same argv.
  for (const d of ['leg', 'leg2', 'other', 'cfg']) mkdirSync(join(w, d));
  writeFileSync(join(w, 'daemon.json'), JSON.stringify({ 'data-root': 'cfg' }));
  t.equal(dataRootOf(['dockerd', '--config-file', 'daemon.json'], w), join(w, 'cfg'), 'a relative config file and its relative data-root');
  const cases: Array<[string, string[]]> = [
    ['leg', ['--data-root', 'leg']],
    ['leg2', ['--data-root', 'other', '--data-root', 'leg2']],
    ['cfg', ['--config-file', 'daemon.json']],
  ];
  for (const [root, args] of cases) {
    // A fake dockerd: bash named dockerd (the `; :` keeps bash from exec'ing sleep), in its own group.
    const child = spawn('bash', ['-c', 'sleep 120; :', 'x', ...args], { argv0: 'dockerd', cwd: w, stdio: 'ignore', detached: true });
    const exited = new Promise((r) => child.once('exit', r));
    // Killed below; the teardown is for a failed assertion that ends the test early.
    t.teardown(() => child.exitCode === null && child.signalCode === null && process.kill(-child.pid!, 'SIGKILL'));
    await new Promise((r) => child.once('spawn', r));
    t.equal(inUseReason(realpathSync(join(w, root))), `in use by dockerd pid ${child.pid}; stop it first`, `dockerd ${args.join(' ')}`);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
  t.equal(inUseReason(realpathSync(join(w, 'other'))), null, 'the first of two --data-root is not used');
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
