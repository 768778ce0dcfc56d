// A target that hangs: fuse-overlayfs stopped with SIGSTOP right after it mounted. The op hits
// its deadline, the worker is killed, the FUSE connection aborted, the mount and the daemon are
// gone, and the scenario is recorded as a failure with the reason.
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { cleanup, installSignalCleanup } from '../../src/conformance/cleanup.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import { execTarget } from '../../src/conformance/targets.js';
import { leftovers, sandbox } from './helpers.js';


// If tap kills this file on its timeout, the mounts it made still go.
installSignalCleanup('hang.test');
/** Scenario temp dirs go under `dir` for this test (the runner's workers inherit TMPDIR). */
function useTmpdir(t: Test, dir: string): void {
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  t.teardown(() => {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  });
}

/** fuse-overlayfs in the foreground, sent `signal` as soon as its mount is live. */
const signalledAfterMount = (signal: string) =>
  'fuse-overlayfs -f -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {merged} & p=$!; ' +
  `while ! mountpoint -q {merged}; do sleep 0.01; done; kill -${signal} $p; wait $p`;
const STOPPED_AFTER_MOUNT = signalledAfterMount('STOP');

t.test('a hung target is killed and unmounted, and the scenario fails with the reason', async (t) => {
  const s = sandbox(t);
  useTmpdir(t, s.tmp);
  const runner = new ScenarioRunner({ timeoutMs: 1500 });
  t.teardown(() => runner.close());
  const trace = await runner.run(execTarget(STOPPED_AFTER_MOUNT, 'stopped'), {
    lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'A', mode: 0o644 }] }],
    upper: { entries: [] },
    ops: [{ op: 'stat', path: 'a' }, { op: 'read', path: 'a' }],
  });
  t.ok(trace.failure, 'recorded as a failure');
  t.match(trace.failure!.reason, /ETIMEDOUT/);
  t.ok(trace.failure!.phase === 'op' || trace.failure!.phase === 'final', trace.failure!.phase);
  t.ok(trace.upper, 'the upper is still dumped for the report');
  // The runner keeps its one tmpfs (and its dir) for the next scenario; nothing of this one is left.
  t.same(s.leftMounts().filter((m) => !m.endsWith('/fs')), [], 'nothing of the scenario mounted');
  t.equal(cleanup.pending(), 3, 'only the runner itself is still registered: its workers, its tmpfs, its dir');
  runner.close();
  t.same(s.leftMounts(), [], 'nothing mounted once the runner is closed');
  t.same(leftovers(s.tmp), [], 'temp dirs removed');
  const daemons = await execa('pgrep', ['-f', `fuse-overlayfs -f -o lowerdir=${s.tmp}`], { reject: false });
  t.equal(daemons.stdout, '', 'the stopped daemon was killed');
});

const KILLED_AFTER_MOUNT = signalledAfterMount('9');

t.test('a target that crashes: every later op sees ENOTCONN, the dead mount is still removed', async (t) => {
  const s = sandbox(t);
  useTmpdir(t, s.tmp);
  const runner = new ScenarioRunner({ timeoutMs: 5000 });
  t.teardown(() => runner.close());
  const trace = await runner.run(execTarget(KILLED_AFTER_MOUNT, 'crashed'), {
    lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'A', mode: 0o644 }] }],
    upper: { entries: [] },
    // The daemon dies right after mounting; the first ops give the kill time to land.
    ops: [{ op: 'dropCaches' }, { op: 'dropCaches' }, { op: 'read', path: 'a' }, { op: 'stat', path: 'a' }],
  });
  t.equal(trace.failure, undefined, 'a crash is not a hang: the ops return');
  t.same(trace.ops.at(-1)!.result, { ok: false, errno: 'ENOTCONN' });
  t.match(trace.merged, [{ path: '.', errno: 'ENOTCONN' }]);
  runner.close();
  t.same(s.leftMounts(), []);
  t.same(leftovers(s.tmp), []);
});
