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
