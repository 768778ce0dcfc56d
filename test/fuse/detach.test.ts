// The detaching command (bin/ovl-fuse's sh part) and its daemon: a daemon that dies before its
// verdict is not silent, a live daemon lets go of the caller's pipe, and many mounts and unmounts
// in a row and side by side (as ovl-check and test suites do) all succeed.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import type { Test } from 'tap';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const run = (args: string[], env: Record<string, string> = {}, bin = ovlFuseBin) =>
  execa(bin, args, { reject: false, env: { CI: '', ...env }, timeout: 60_000 });

/**
 * A private copy of the checkout's built programs (bin and dist copied; src, node_modules and the
 * package files linked), whose bundle a test may rebuild: rebuilding the checkout's own dist/bundle
 * pulled code from under the test files that run beside this one (an ovl-dedup run in
 * analyze-cli.test.ts died without a word in CI while this test rebuilt).
 */
function privateCheckout(t: Test): { bin: string; dir: string } {
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-detach-checkout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(repo, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(dir, 'scripts'));
  cpSync(join(repo, 'scripts', 'bundle.mjs'), join(dir, 'scripts', 'bundle.mjs'));
  for (const n of ['src', 'node_modules', 'package.json', 'tsconfig.json']) symlinkSync(join(repo, n), join(dir, n));
  return { bin: join(dir, 'bin', 'ovl-fuse'), dir };
}

/** pids of ovl-fuse daemons serving `merged`, from /proc (pgrep would match itself under load). */
function daemons(merged: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv.includes('-f') && argv.some((a) => a.endsWith('ovl-fuse')) && argv.includes(merged)) pids.push(Number(p));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

async function waitGone(merged: string): Promise<void> {
  for (let i = 0; i < 400 && daemons(merged).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
}

t.test('a daemon that dies before its verdict: the command prints why, exit 1', async (t) => {
  const d = layerDirs(t, 1);
  const crash = join(d.root, 'crash.mjs');
  writeFileSync(crash, 'throw new TypeError("the daemon crashed at start-up");\n');
  const r = await run(['-o', fuseOptions(d), d.merged], { NODE_OPTIONS: `--import ${crash}` });
  t.equal(r.exitCode, 1);
  t.equal(r.stderr, 'ovl-fuse: daemon exited before the mount was live: TypeError: the daemon crashed at start-up');
  t.notOk(isMounted(d.merged));
});

t.test('a daemon that cannot start: the command names the program and the reason', async (t) => {
  const d = layerDirs(t, 1);
  const r = await run(['-o', fuseOptions(d), d.merged], { OVL_FUSE_NODE: join(d.root, 'no-such-node') });
  t.equal(r.exitCode, 1);
  t.match(r.stderr, /^ovl-fuse: daemon exited before the mount was live: .*no-such-node: No such file or directory$/);
  t.notOk(isMounted(d.merged));
});

t.test('once live, the daemon holds neither the verdict pipe nor the stderr it shared', async (t) => {
  const d = layerDirs(t, 1);
  t.teardown(async () => {
    if (isMounted(d.merged)) await umountSurely(d.merged);
    await waitGone(d.merged);
  });
  // Were either still open, the command would not have returned: execa waits for its output's end.
  const r = await run(['-o', fuseOptions(d), d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  const [pid] = daemons(d.merged);
  t.ok(pid, 'daemon running');
  t.equal(readlinkSync(`/proc/${pid}/fd/2`), '/dev/null');
  t.equal(readlinkSync(`/proc/${pid}/fd/1`), '/dev/null');
});

t.test('mounts side by side while the bundle is rebuilt all succeed', async (t) => {
  // Two lanes mount, list and unmount in turn (one remounting the same dirs at once, as ovl-check's
  // remount ops do) while scripts/bundle.mjs rebuilds the code every daemon loads. A rebuild that
  // removed the old bundle before writing the new one failed about a third of such mounts.
  const checkout = privateCheckout(t);
  const lanes = [layerDirs(t, 1), layerDirs(t, 1)];
  for (const d of lanes) writeFileSync(join(d.lowers[0]!, 'f'), 'f');
  t.teardown(async () => {
    for (const d of lanes) {
      if (isMounted(d.merged)) await umountSurely(d.merged);
      await waitGone(d.merged);
    }
  });
  let lanesDone = false;
  const rebuilds = (async () => {
    let n = 0;
    while (!lanesDone || n === 0) {
      const b = await execa(process.execPath, ['scripts/bundle.mjs'], { reject: false, cwd: checkout.dir });
      t.equal(b.exitCode, 0, b.stderr);
      n++;
    }
    return n;
  })();
  const failures: string[] = [];
  await Promise.all(
    lanes.map(async (d) => {
      for (let i = 0; i < 8; i++) {
        const r = await run(['-o', fuseOptions(d), d.merged], {}, checkout.bin);
        if (r.exitCode !== 0) {
          failures.push(r.stderr);
          continue;
        }
        if (readdirSync(d.merged).join() !== 'f') failures.push(`listing ${readdirSync(d.merged).join()}`);
        await umountSurely(d.merged);
      }
    }),
  );
  lanesDone = true;
  t.ok((await rebuilds) > 0);
  t.same(failures, []);
});
