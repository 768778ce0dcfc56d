#!/usr/bin/env node
// Where a mount's start-up goes, for one or more ovl-fuse builds side by side (e.g. main's and a
// branch's): N rounds, each timing every bin, fuse-overlayfs, `node -e 0` and node with an empty
// worker in turn (so load drift hits all alike), from exec of the command until a stat of the
// merged dir answers; then per bin the median of each start-up mark (src/fuse/startup-marks.ts),
// ms after exec. Needs root and `npm run build` (it uses dist/bench/wl-startup.js).
//   node scripts/startup-breakdown.mjs [-n N] [--no-marks] BIN [BIN…]
// (--no-marks: time without writing the marks, to see that they cost nothing)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from '../dist/bench/record.js';
import { NODE_FLOORS, breakdown, startupOnce, timeCommand } from '../dist/bench/wl-startup.js';

const args = process.argv.slice(2);
let n = 10;
let marks = true;
for (;;) {
  if (args[0] === '-n') n = Number(args.splice(0, 2)[1]);
  else if (args[0] === '--no-marks') marks = args.splice(0, 1).length === 0;
  else break;
}
if (args.length === 0 || !Number.isInteger(n) || n < 1) {
  process.stderr.write('usage: startup-breakdown.mjs [-n N] [--no-marks] BIN [BIN…]\n');
  process.exit(2);
}
const root = mkdtempSync(join(tmpdir(), 'ovl-startup-'));
const lower = join(root, 'lower');
mkdirSync(lower);
writeFileSync(join(lower, 'a'), 'a\n');
const opts = (d) => `lowerdir=${lower},upperdir=${d}/upper,workdir=${d}/work`;
const commands = [
  ...args.map((bin, i) => [`ovl-fuse#${i + 1}`, (d) => [bin, '-o', opts(d), `${d}/merged`]]),
  ['fuse-overlayfs', (d) => ['fuse-overlayfs', '-o', opts(d), `${d}/merged`]],
];
const runs = new Map(commands.map(([name]) => [name, []]));
const floors = new Map(NODE_FLOORS.map(([m]) => [m, []]));
try {
  for (let r = 0; r < n; r++) {
    // Each round starts one command later, so none always runs right after another's unmount.
    for (const [name, cmd] of commands.map((_, i) => commands[(i + r) % commands.length])) {
      const d = join(root, `${name}-${r}`);
      for (const s of ['upper', 'work', 'merged']) mkdirSync(join(d, s), { recursive: true });
      runs.get(name).push(await startupOnce(cmd(d), join(d, 'merged'), marks ? join(d, 'marks') : null, 60_000));
      rmSync(d, { recursive: true, force: true });
    }
    for (const [m, a] of NODE_FLOORS) floors.get(m).push(timeCommand([process.execPath, ...a], process.env, 60_000));
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const fmt = (xs) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
console.log(`median of ${n}, min–max; ${args.map((b, i) => `ovl-fuse#${i + 1} = ${b}`).join(', ')}`);
for (const [name, rs] of runs) console.log(`${name.padEnd(20)} ${fmt(rs.map((x) => x.ms))}`);
for (const [m, xs] of floors) console.log(`${m.padEnd(20)} ${fmt(xs)}`);
for (const [name, rs] of runs) {
  const b = breakdown(rs.map((x) => x.marks));
  if (b.length === 0) continue;
  console.log(`\n${name}: ms after exec (median)`);
  for (const row of b) console.log(`  ${row.mark.padEnd(20)} ${row.ms.toFixed(1)}${row.n < rs.length ? ` (${row.n} of ${rs.length} runs)` : ''}`);
}
