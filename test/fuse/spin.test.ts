// `-o spin=MICROSECONDS` as a user runs it: the daemon polls /dev/fuse without sleeping for a while
// after a request (src/fuse/session/spin.ts), never with spin=0, and not for the layer watcher's
// events; a bad value is one line and exit 2 with nothing mounted; and the polling loop, alone on
// /dev/fuse (watch=off) or beside the watcher, serves a mount and ends with it on an external umount.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { isMounted } from '../../src/sys/index.js';
import { daemonFd, fuseOptions, mountFuse, ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { syscallLinesDuring } from '../helpers/strace.js';
import { BACK_OFF_MS } from '../../src/fuse/session/spin.js';

for (const bad of ['spin=abc', 'spin=10001', 'spin=-1', 'spin=1.5', 'spin']) {
  t.test(`${bad} is one line and exit 2, nothing mounted`, async (t) => {
    const d = layerDirs(t, 1);
    const r = await execa(ovlFuseBin, ['-o', fuseOptions(d, bad), d.merged], { reject: false, env: { CI: '' } });
    t.equal(r.exitCode, 2);
    t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    t.match(r.stderr, /bad mount option spin=.*: expected microseconds, 0 to 10000/);
    t.notOk(isMounted(d.merged));
  });
}

/**
 * The polls of /dev/fuse among strace's `lines` that did not wait (a timeout of 0): the spinner's.
 * The loop's other poll without a wait asks only the watcher's fd, before a request that came
 * while it rested from the watcher's events (loop.ts REST_MS).
 */
function zeroTimeoutPolls(lines: string[], devFd: number): string[] {
  const spin = new RegExp(`poll\\(\\[\\{fd=${devFd}, .*\\], \\d+, 0\\)`);
  return lines.filter((l) => spin.test(l));
}

/** The daemon's /dev/fuse fd. */
const devFdOf = (pid: number) => daemonFd(pid, '/dev/fuse');

/** Mount a lower of `rounds` × 300 files named r<round>f<i>; `extra` are more mount options. */
async function mountWithFiles(t: Test, extra: string, rounds: number): Promise<{ merged: string; pid: number; devFd: number }> {
  const d = layerDirs(t, 1);
  for (let r = 0; r < rounds; r++) for (let i = 0; i < 300; i++) writeFileSync(join(d.lowers[0]!, `r${r}f${i}`), 'x');
  const m = await mountFuse(t, d, extra);
  readdirSync(d.merged);
  // strace of an undefined pid would trace this process (syscallLinesDuring's default).
  if (m.child.pid === undefined) throw new Error('the daemon has no pid');
  return { merged: d.merged, pid: m.child.pid, devFd: devFdOf(m.child.pid) };
}

/**
 * stat round `round`'s 300 files through the mount, one after another; the daemon's polls
 * meanwhile. Names not looked up before in each round: a cached stat sends no request.
 */
async function pollsDuringStats(t: Test, m: { merged: string; pid: number }, round: number): Promise<string[]> {
  return syscallLinesDuring(
    t,
    ['poll'],
    () => {
      for (let i = 0; i < 300; i++) statSync(join(m.merged, `r${round}f${i}`));
    },
    m.pid,
  );
}

// Under strace each call takes tens of µs, so the gaps between requests are long: a limit of
// 10 ms keeps them within it, and the window grows (a 100 µs one would rightly shrink to 0). On a
// loaded machine (CI runs test files side by side) the daemon may find itself off the CPU and back
// off for BACK_OFF_MS, or see gaps past the limit, as it should: so several rounds of stats, apart
// by more than a back-off, and at least one of them must show polling (one run of CI saw none in a
// single round).
t.test('spin=10000: the daemon polls without waiting between requests', async (t) => {
  const ROUNDS = 5;
  const m = await mountWithFiles(t, 'spin=10000', ROUNDS);
  const seen: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const lines = await pollsDuringStats(t, m, round);
    const noWait = zeroTimeoutPolls(lines, m.devFd).length;
    seen.push(`${noWait}/${lines.length}`);
    if (noWait > 0) break;
    await new Promise((r) => setTimeout(r, BACK_OFF_MS + 50));
  }
  t.ok(seen.some((s) => !s.startsWith('0/')), `polls with timeout 0 / all polls, by round: ${seen.join(', ')}`);
});

t.test('spin=0: no poll without waiting between requests', async (t) => {
  const m = await mountWithFiles(t, 'spin=0', 1);
  const lines = await pollsDuringStats(t, m, 0);
  const noWait = zeroTimeoutPolls(lines, m.devFd);
  t.same(noWait, [], `${lines.length} polls`);
  t.ok(lines.length >= 300, `the watcher's poll before each request: ${lines.length}`);
});

// A review: events the layer watcher reads (here of writes to an unrelated file on the layers'
// filesystem, which the watcher marks whole) kept an idle daemon polling without end, each wake
// counted as a request that came soon. Only requests open the window now.
t.test('spin=10000: watcher events alone do not keep an idle daemon polling', async (t) => {
  const d = layerDirs(t, 1);
  const m = await mountFuse(t, d, 'spin=10000');
  readdirSync(d.merged);
  const noise = join(d.root, 'noise');
  const lines = await syscallLinesDuring(
    t,
    ['poll'],
    () => {
      const end = Date.now() + 400;
      for (let i = 0; Date.now() < end; i++) writeFileSync(noise, String(i));
    },
    m.child.pid,
  );
  const noWait = zeroTimeoutPolls(lines, devFdOf(m.child.pid!));
  t.ok(lines.length >= 20, `the watcher woke the loop: ${lines.length} polls`);
  t.ok(noWait.length <= 5, `${noWait.length} polls with timeout 0 among ${lines.length}`);
});

for (const extra of ['watch=off,spin=10000', 'watch=off,spin=0', 'spin=10000']) {
  t.test(`${extra}: serves the mount, an external umount ends the daemon with exit 0`, async (t) => {
    const d = layerDirs(t, 1);
    writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
    const m = await mountFuse(t, d, extra);
    mkdirSync(join(d.merged, 'dir'));
    writeFileSync(join(d.merged, 'f'), 'upper');
    t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'upper');
    t.same(readdirSync(d.merged).sort(), ['dir', 'f']);
    execFileSync('umount', [d.merged]);
    t.equal(await m.exited, 0);
    t.notOk(isMounted(d.merged));
  });
}
