// The hang guard against a FUSE daemon that stops answering: fuse-overlayfs is frozen with SIGSTOP
// and a synchronous readdir on its mount must come back with an error instead of blocking forever.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { HangGuard, isMounted, runTool, umountSurely } from '../../src/sys/index.js';
import { layerDirs } from '../helpers/layers.js';

/** The pid of the fuse-overlayfs serving `merged` (its command line names the mount point). */
function daemonOf(merged: string): number | null {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv[0]?.endsWith('fuse-overlayfs') && argv.includes(merged)) return Number(pid);
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}

t.test('a frozen FUSE daemon is force-unmounted and the blocked call fails', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-hang-');
  mkdirSync(join(d.lowers[0]!, 'dir'));
  writeFileSync(join(d.lowers[0]!, 'dir', 'f'), 'x');
  const r = await runTool('fuse-overlayfs', ['-o', `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${d.work}`, d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  const pid = daemonOf(d.merged);
  t.ok(pid, 'found the daemon');
  const guard = new HangGuard(1500);
  t.teardown(async () => {
    if (pid) {
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGTERM');
    }
    await guard.close();
    if (isMounted(d.merged)) await umountSurely(d.merged);
  });
  guard.watch(d.merged);
  process.kill(pid!, 'SIGSTOP');
  let err: NodeJS.ErrnoException | undefined;
  try {
    readdirSync(join(d.merged, 'dir'));
  } catch (e) {
    err = e as NodeJS.ErrnoException;
  }
  t.ok(err, 'readdir on the frozen mount failed instead of hanging');
  t.match(err?.code, /^E[A-Z]+$/, `an errno (${err?.code})`);
  await new Promise((res) => setTimeout(res, 50));
  t.same(guard.fired, [d.merged]);
});
