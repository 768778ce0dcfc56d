// SIGTERM or SIGINT while ovl-fuse -f starts: whenever it lands (before the mount, the instant the
// mount appears, while the daemon comes up), the daemon ends and nothing stays mounted. A review
// saw ~2 in 130 signals leave a dead mount ("Transport endpoint is not connected"); signalling the
// moment the mount shows in mountinfo hit that window about every other time.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { servingPids } from '../../src/fuse/daemons.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const inMountinfo = (m: string) => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${m} `);

/** Start the daemon as the review did (`setsid ovl-fuse -f …`, nobody waiting for a verdict). */
function start(options: string, merged: string): { child: ChildProcess; exited: Promise<string> } {
  // Through bin/ovl-fuse's sh part, which execs node: under tap it also drops tap's coverage hook.
  const child = spawn(ovlFuseBin, ['-f', '-o', options, merged], { stdio: 'ignore', detached: true, env: { ...process.env, OVL_FUSE_NODE: process.execPath } });
  return { child, exited: new Promise((resolve) => child.on('exit', (code, sig) => resolve(String(code ?? sig)))) };
}

async function signalDuringStart(merged: string, options: string, signal: NodeJS.Signals, when: number | 'mounted'): Promise<{ exit: string; left: boolean }> {
  const { child, exited } = start(options, merged);
  if (when === 'mounted') {
    // Busy-wait: the window between mount(2) and the daemon's handlers is well under a millisecond.
    const t0 = Date.now();
    while (!inMountinfo(merged) && Date.now() - t0 < 5000);
  } else await new Promise((r) => setTimeout(r, when));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const exit = await exited;
  clearTimeout(timer);
  const left = isMounted(merged);
  if (left) await umountSurely(merged);
  return { exit, left };
}

for (const transport of ['dev', 'fuse-native']) {
  t.test(`transport=${transport}: a signal at any point of the start leaves nothing mounted`, async (t) => {
    const d = layerDirs(t, 2);
    const options = fuseOptions(d, `transport=${transport}`);
    const tries: Array<[NodeJS.Signals, number | 'mounted']> = [
      ['SIGTERM', 0],
      ['SIGINT', 60],
      ...Array.from({ length: 8 }, (_, i): [NodeJS.Signals, 'mounted'] => [i % 2 ? 'SIGINT' : 'SIGTERM', 'mounted']),
    ];
    const left: string[] = [];
    const exits = new Set<string>();
    for (const [signal, when] of tries) {
      const r = await signalDuringStart(d.merged, options, signal, when);
      if (r.left) left.push(`${signal} at ${when}: exit ${r.exit}`);
      exits.add(r.exit);
    }
    t.same(left, [], 'nothing left mounted');
    t.notOk(exits.has('SIGKILL'), 'each daemon ended on its own');
  });
}

/** The FUSE connection of the mount at `merged` (the minor of its st_dev, as mountinfo shows it). */
function connectionOf(merged: string): number {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === merged);
  return Number(line!.split(' ')[2]!.split(':')[1]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// mount(8) (through mount.fuse3) and the SOURCE form run node, which mounts and hands the mount to
// a daemon it starts, then returns. A review: a SIGTERM to that daemon within ~80 ms of the return
// killed it before its handlers were set, every time, leaving a dead mount (ENOTCONN) behind.
t.test('mounted by node (mount(8), SOURCE form): a signal to the daemon the moment the command returns leaves nothing mounted', async (t) => {
  const d = layerDirs(t, 2);
  const options = fuseOptions(d);
  const left: string[] = [];
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM', 'SIGINT', 'SIGTERM'] as const) {
    execFileSync(process.execPath, [ovlFuseBin, '-o', options, 'layers', d.merged], { stdio: 'ignore' });
    const pids = servingPids(connectionOf(d.merged));
    t.equal(pids.length, 1, 'one daemon serves it');
    process.kill(pids[0]!, signal);
    const t0 = Date.now();
    while (alive(pids[0]!) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
    if (isMounted(d.merged)) {
      left.push(signal);
      await umountSurely(d.merged);
    }
  }
  t.same(left, [], 'nothing left mounted');
});

/** The daemon `ovl-fuse -f` started for `merged` (its pid), once the mount answers. */
async function liveDaemon(merged: string, options: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; exited: Promise<string> }> {
  const child = spawn(ovlFuseBin, ['-f', '-o', options, merged], { stdio: 'ignore', detached: true, env: { ...process.env, OVL_FUSE_NODE: process.execPath, ...env } });
  const exited = new Promise<string>((resolve) => child.on('exit', (code, sig) => resolve(String(code ?? sig))));
  const t0 = Date.now();
  while (!inMountinfo(merged) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  execFileSync('ls', [merged]);
  return { child, exited };
}

// The terminal of an `ovl-fuse -f` closing sends SIGHUP: node's default action killed the daemon
// and left a dead mount (ENOTCONN) until someone unmounted it (a review, 2026-12-07). It now ends
// the mount as SIGTERM does, as libfuse's handlers do; under nohup it is ignored, as there.
t.test('SIGHUP to ovl-fuse -f unmounts and ends it; under nohup it is ignored', async (t) => {
  const d = layerDirs(t, 2);
  const options = fuseOptions(d, '');
  const a = await liveDaemon(d.merged, options);
  a.child.kill('SIGHUP');
  t.equal(await a.exited, '0', 'exit 0 after SIGHUP');
  t.notOk(isMounted(d.merged), 'nothing left mounted');
  // nohup: SIGHUP ignored on entry, which bin/ovl-fuse's sh sees and node would not.
  const child = spawn('nohup', [ovlFuseBin, '-f', '-o', options, d.merged], { stdio: 'ignore', detached: true, env: { ...process.env, OVL_FUSE_NODE: process.execPath } });
  const exited = new Promise<string>((resolve) => child.on('exit', (code, sig) => resolve(String(code ?? sig))));
  t.teardown(() => umountSurely(d.merged));
  const t0 = Date.now();
  while (!inMountinfo(d.merged) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGHUP');
  await new Promise((r) => setTimeout(r, 300));
  t.ok(isMounted(d.merged), 'under nohup: still mounted');
  t.doesNotThrow(() => execFileSync('ls', [d.merged]), 'and answering');
  child.kill('SIGTERM');
  t.equal(await exited, '0', 'SIGTERM still ends it');
});

/** Whether some socket listens on TCP port `port` (/proc/net/tcp: state 0A). */
const listening = (port: number) => readFileSync('/proc/net/tcp', 'utf8').split('\n').some((l) => l.includes(`:${port.toString(16).toUpperCase().padStart(4, '0')} `) && / 0A /.test(l));

// SIGUSR1 is node's signal to open its inspector on 127.0.0.1:9229, where any local user can run
// code as the daemon: root (a review, 2026-12-07, wrote a root-owned file as nobody that way).
t.test('SIGUSR1 to the daemon opens no inspector and changes nothing', async (t) => {
  const d = layerDirs(t, 2);
  const { child, exited } = await liveDaemon(d.merged, fuseOptions(d, ''));
  t.teardown(() => umountSurely(d.merged));
  const before = listening(9229);
  child.kill('SIGUSR1');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(listening(9229), before, 'no inspector listening after SIGUSR1');
  t.doesNotThrow(() => execFileSync('ls', [d.merged]), 'the mount answers');
  child.kill('SIGTERM');
  t.equal(await exited, '0');
});

// `ovl-fuse umount` of a mount whose daemon is stopped (or hung): it lstat'ed the mount point,
// which asks the daemon, and waited in D state for good, deaf to SIGTERM; fusermount -u and
// umount -l return at once. It reads the link without asking the daemon now.
t.test('ovl-fuse umount of a mount whose daemon is stopped returns and unmounts', async (t) => {
  const d = layerDirs(t, 2);
  const { child } = await liveDaemon(d.merged, fuseOptions(d, ''));
  t.teardown(async () => {
    child.kill('SIGKILL');
    child.kill('SIGCONT');
    await umountSurely(d.merged);
  });
  child.kill('SIGSTOP');
  let rc: number | string = 0;
  try {
    execFileSync(ovlFuseBin, ['umount', d.merged], { stdio: 'pipe', timeout: 20_000, env: { ...process.env, OVL_FUSE_NODE: process.execPath } });
  } catch (err) {
    rc = (err as { status?: number; signal?: string }).status ?? String((err as { signal?: string }).signal);
  }
  t.equal(rc, 0, 'exit 0 (a timeout would be SIGTERM)');
  t.notOk(isMounted(d.merged), 'unmounted');
});
