#!/usr/bin/env node
// CPU time a mount's start-up costs, for one or more ovl-fuse builds side by side: N rounds, each
// mounting with every bin in turn (rotating order), then, once the command has returned and a read
// through the mount has answered, reading each of the daemon's threads' run time
// (/proc/PID/task/TID/schedstat, ns). Wall times on this shared 2-CPU VM move 2-6x with the load;
// CPU time moves far less, so before/after pairs compare better in it. Per bin: the median of the
// total, of the main thread, of the busiest other thread (the session worker) and of the rest (V8's
// compiler and GC helpers). Needs root.
//   node scripts/startup-cpu.mjs [-n N] BIN [BIN…]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../dist/bench/record.js';

const args = process.argv.slice(2);
let n = 10;
if (args[0] === '-n') n = Number(args.splice(0, 2)[1]);
if (args.length === 0 || !Number.isInteger(n) || n < 1) {
  process.stderr.write('usage: startup-cpu.mjs [-n N] BIN [BIN…]\n');
  process.exit(2);
}

/** The pid of the daemon serving `merged` (its command line names the mount point and -f). */
function daemonOf(merged) {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv.includes(merged) && argv.includes('-f')) return p;
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`no daemon found for ${merged}`);
}

/** ms of CPU per thread of `pid`: [main, busiest other, all others but that one]. */
function threadCpu(pid) {
  const ms = (tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  const others = readdirSync(`/proc/${pid}/task`).filter((t) => t !== pid).map(ms).sort((a, b) => b - a);
  const rest = others.slice(1).reduce((a, b) => a + b, 0);
  return [ms(pid), others[0] ?? 0, rest];
}

const root = mkdtempSync(join(tmpdir(), 'ovl-startup-cpu-'));
mkdirSync(join(root, 'lower'));
writeFileSync(join(root, 'lower/a'), 'a\n');
const runs = args.map(() => []);
try {
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < args.length; k++) {
      const i = (k + r) % args.length;
      const d = join(root, `${i}-${r}`);
      for (const s of ['upper', 'work', 'merged']) mkdirSync(join(d, s), { recursive: true });
      const merged = join(d, 'merged');
      execFileSync(args[i], ['-o', `lowerdir=${root}/lower,upperdir=${d}/upper,workdir=${d}/work`, merged], { stdio: ['ignore', 'ignore', 'inherit'] });
      try {
        readFileSync(join(merged, 'a'));
        // The daemon now waits in read(2): its counters are up to date.
        runs[i].push(threadCpu(daemonOf(merged)));
      } finally {
        execFileSync('umount', [merged]);
      }
    }
  }
} finally {
  // Let the daemons exit before their directories go.
  await new Promise((r) => setTimeout(r, 300));
  rmSync(root, { recursive: true, force: true });
}
const fmt = (xs) => median(xs).toFixed(1).padStart(6);
console.log(`daemon CPU ms by the time the mount is live, median of ${n}: total, main thread, session worker, other threads`);
args.forEach((bin, i) => {
  const rs = runs[i];
  console.log(`${fmt(rs.map(([a, b, c]) => a + b + c))} ${fmt(rs.map((x) => x[0]))} ${fmt(rs.map((x) => x[1]))} ${fmt(rs.map((x) => x[2]))}  ${bin}`);
});
