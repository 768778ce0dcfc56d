// What the layer watcher costs, measured (docs/fuse.md quotes it): run as root with
//   node dist/fuse/watch-cost.js [tarball]      (after npm run build; default: a tar of /usr/include)
// 1. The watcher alone: a layer dir on the same filesystem as an untar elsewhere (the traffic every
//    layer under /tmp sees); the watcher drains while the untar runs. Reports events read, the CPU
//    the watcher spent on them, events per CPU second, and lost-event overflows.
// 2. A mounted, idle ovl-fuse (the /dev/fuse transport, in this process) with watch=on and off
//    while the same untar runs elsewhere: the daemon's CPU and the untar's wall time, interleaved.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMountOptions, resolveMountOptions } from '../format/index.js';
import { umountSurely } from '../sys/index.js';
import { prepareWorkdir } from './workdir.js';
import { mountDev } from './session/daemon.js';
import type { WatchMode } from './watch-mode.js';
import { LayerWatcher } from './watch.js';

const nap = new Int32Array(new SharedArrayBuffer(4));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Untar `tarball` into a fresh dir under `root` (as a child process, so it has its own pid); ms. */
function untarAsync(tarball: string, root: string): { done: Promise<number>; dir: string } {
  const dir = mkdtempSync(join(root, 'untar-'));
  const t0 = performance.now();
  const child = spawn('tar', ['-xf', tarball, '-C', dir], { stdio: 'ignore' });
  return { dir, done: new Promise((resolve) => child.on('exit', () => resolve(performance.now() - t0))) };
}

function watcherAlone(tarball: string, root: string): void {
  const layer = mkdtempSync(join(root, 'layer-'));
  const w = LayerWatcher.start([layer]);
  const dir = mkdtempSync(join(root, 'untar-'));
  const flag = join(root, 'untar-done');
  spawn('sh', ['-c', `tar -xf ${tarball} -C ${dir}; touch ${flag}`], { stdio: 'ignore' }).unref();
  let events = 0;
  let overflows = 0;
  let changes = 0;
  let spent = 0;
  const t0 = performance.now();
  // Drain as the session loop would: whenever there is something, else wait a little.
  for (let finished = false; ; ) {
    const c0 = cpuMs();
    const b = w.drain();
    spent += cpuMs() - c0;
    events += b.events;
    changes += b.changes.length;
    if (b.overflow) overflows++;
    if (b.events === 0) {
      if (finished) break;
      finished = existsSync(flag);
      Atomics.wait(nap, 0, 0, 1);
    }
  }
  const wall = performance.now() - t0;
  w.close();
  console.log(
    `watcher alone: ${events} events in ${wall.toFixed(0)} ms of untar, ${spent.toFixed(0)} ms CPU in the watcher ` +
      `(${((events / spent) * 1000).toFixed(0)} events per CPU second, ${((spent / events) * 1000).toFixed(1)} µs each), ` +
      `${changes} for the layer, ${overflows} overflows, ${w.cachedDirs} dir handles cached`,
  );
  rmSync(dir, { recursive: true, force: true });
  rmSync(flag, { force: true });
}

async function mountedDaemon(tarball: string, root: string, watch: WatchMode): Promise<{ cpu: number; untar: number }> {
  const base = mkdtempSync(join(root, `mnt-${watch}-`));
  const [l, u, w, m] = ['l', 'u', 'w', 'm'].map((d) => join(base, d)) as [string, string, string, string];
  for (const d of [l, u, w, m]) mkdirSync(d);
  execFileSync('sh', ['-c', 'mkdir -p a/b && echo x > a/b/f'], { cwd: l });
  const cfg = resolveMountOptions({ ...parseMountOptions(`lowerdir=${l},upperdir=${u},workdir=${w}`), extra: {} });
  prepareWorkdir(w);
  process.umask(0);
  const factory = new URL(import.meta.url.endsWith('.ts') ? './watch-start.ts' : './watch-start.js', import.meta.url).href;
  const mounted = await mountDev(m, { readonly: false, fs: { module: factory, export: 'createWatchedOverlayFs', args: [cfg, 'auto', watch] } });
  execFileSync('find', [m], { stdio: 'ignore' });
  const c0 = cpuMs();
  const run = untarAsync(tarball, root);
  const untar = await run.done;
  const cpu = cpuMs() - c0;
  await umountSurely(m);
  await mounted.closed;
  rmSync(run.dir, { recursive: true, force: true });
  rmSync(base, { recursive: true, force: true });
  return { cpu, untar };
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-watch-cost-'));
  try {
    let tarball = process.argv[2];
    if (!tarball) {
      tarball = join(root, 'include.tar');
      execFileSync('tar', ['-cf', tarball, '-C', '/usr', 'include']);
    }
    watcherAlone(tarball, root);
    for (let round = 1; round <= 3; round++) {
      for (const watch of ['off', 'on'] as const) {
        const r = await mountedDaemon(tarball, root, watch);
        console.log(`round ${round} watch=${watch}: daemon CPU ${r.cpu.toFixed(0)} ms during an untar elsewhere of ${r.untar.toFixed(0)} ms`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
