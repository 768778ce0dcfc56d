// SIGTERM or SIGINT while ovl-fuse -f starts: whenever it lands (before the mount, the instant the
// mount appears, while the daemon comes up), the daemon ends and nothing stays mounted. A review
// saw ~2 in 130 signals leave a dead mount ("Transport endpoint is not connected"); signalling the
// moment the mount shows in mountinfo hit that window about every other time.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
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
