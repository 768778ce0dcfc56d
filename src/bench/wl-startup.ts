// startup: from exec of the mount command (as a user types it: `ovl-fuse -o … MERGED`, `mount -t
// overlay …`, `fuse-overlayfs -o …`) until a stat of the merged dir answers from the new mount,
// median of N fresh mounts. Beside ovl-fuse, in the same loop, the floor it cannot go under:
// `node -e 0` and node with one empty worker thread. ovl-fuse's own start-up marks
// (OVL_FUSE_STARTUP_LOG, src/fuse/startup-marks.ts) give the breakdown: each `startup@MARK` is the
// median ms from exec to that mark (a build without marks reports none).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMounted, umountSurely } from '../sys/index.js';
import { expect, median } from './record.js';
import { deepDir, lowersOf } from './gen-tree.js';
import type { Layers } from './targets.js';
import type { Workload, WorkloadCtx } from './workload.js';

/**
 * `node -e 0`, and node starting one worker that does nothing: what every node daemon pays, in the
 * environment the bins give node (without NODE_EXTRA_CA_CERTS, see `binEnv`). Where the caller's
 * environment sets that variable, `startup_node_caller_env` is `node -e 0` with it, as a plain
 * `#!/usr/bin/env node` tool would start.
 */
export const NODE_FLOORS: Array<[string, string[]]> = [
  ['startup_node', ['-e', '0']],
  ['startup_node_worker', ['-e', "new (require('node:worker_threads').Worker)('0', { eval: true })"]],
];
const CALLER_ENV_FLOOR = 'startup_node_caller_env';

/**
 * The environment bin/* give node: NODE_EXTRA_CA_CERTS removed. node parses every certificate it
 * names when the process starts (~35 ms here, where it is set); none of the tools speaks TLS.
 */
export function binEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _, ...rest } = env;
  return rest;
}

/** The marks of one start-up log ("name epoch-ms" lines) as ms after `t0`; a repeated name keeps its first time. */
export function parseMarks(text: string, t0: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (m && !out.has(m[1]!)) out.set(m[1]!, Number(m[2]) - t0);
  }
  return out;
}

/** Per mark, the median over the runs that have it, in order of that median. */
export function breakdown(runs: ReadonlyArray<Map<string, number>>): Array<{ mark: string; ms: number; n: number }> {
  const names = new Set(runs.flatMap((r) => [...r.keys()]));
  const rows = [...names].map((mark) => {
    const xs = runs.filter((r) => r.has(mark)).map((r) => r.get(mark)!);
    return { mark, ms: median(xs), n: xs.length };
  });
  return rows.sort((a, b) => a.ms - b.ms);
}

/** Run a command to completion; the ms it took. Throws with its first line of complaint. */
export function timeCommand(argv: readonly string[], env: NodeJS.ProcessEnv, timeoutMs: number): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: timeoutMs, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${argv[0]} exited ${r.status ?? r.signal}: ${r.stderr.split('\n')[0]}`);
  return ms;
}

export interface StartupRun {
  /** exec of the command until the stat of the merged dir answered */
  ms: number;
  /** the daemon's start-up marks, ms after exec (empty unless it writes them) */
  marks: Map<string, number>;
}

/**
 * One timed start-up: exec `argv` (which mounts on `merged` and returns once it is live), then stat
 * `merged`, which must be a new filesystem. Unmounted again before returning. With `log`, the
 * command's start-up marks go there (OVL_FUSE_STARTUP_LOG) and come back parsed.
 */
export async function startupOnce(argv: readonly string[], merged: string, log: string | null, timeoutMs: number): Promise<StartupRun> {
  if (log !== null) rmSync(log, { force: true });
  const parentDev = statSync(join(merged, '..')).dev;
  // The marks are Date.now() of the daemon: compare them with ours. Not timeOrigin + now(): in a
  // long-running process that drifts from the wall clock (by 23 s in one bench run here).
  const epoch0 = Date.now();
  const t0 = performance.now();
  try {
    const r = spawnSync(argv[0]!, argv.slice(1), {
      env: log === null ? process.env : { ...process.env, OVL_FUSE_STARTUP_LOG: log },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
      encoding: 'utf8',
    });
    if (r.error) throw r.error;
    expect(r.status === 0, `${argv[0]} exited ${r.status ?? r.signal}: ${r.stderr.split('\n')[0]}`);
    const dev = statSync(merged).dev;
    const ms = performance.now() - t0;
    expect(dev !== parentDev, `${merged} is not a new mount after ${argv[0]} returned`);
    let marks = new Map<string, number>();
    try {
      if (log !== null) marks = parseMarks(readFileSync(log, 'utf8'), epoch0);
    } catch {
      // No marks: not ovl-fuse, or a build without them.
    }
    return { ms, marks };
  } finally {
    if (isMounted(merged)) await umountSurely(merged);
    // A FUSE daemon exits after its unmount; let it, so it does not compete with the next start.
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fresh upper, work and merged dirs under `dir` for start-up `i`. */
function freshLayers(dir: string, lower: string, i: number): { layers: Layers; merged: string } {
  const base = join(dir, `s${i}`);
  rmSync(base, { recursive: true, force: true });
  const layers = { lowers: [lower], upper: join(base, 'upper'), work: join(base, 'work') };
  const merged = join(base, 'merged');
  for (const d of [layers.upper, layers.work, merged]) mkdirSync(d, { recursive: true });
  return { layers, merged };
}

async function runStartup(ctx: WorkloadCtx): Promise<void> {
  const { target, rec, data } = ctx;
  const command = target.command;
  if (command === undefined) throw new Error(`${target.name} has no mount command`);
  const dir = join(ctx.runDir, 'startup');
  const lower = lowersOf(deepDir(data.root, 1), 1)[0]!;
  const floors = target.name.startsWith('ovl-fuse');
  const runs: StartupRun[] = [];
  const floorMs = new Map<string, number[]>(NODE_FLOORS.map(([m]) => [m, []]));
  const callerEnvFloor = floors && process.env.NODE_EXTRA_CA_CERTS !== undefined;
  if (callerEnvFloor) floorMs.set(CALLER_ENV_FLOOR, []);
  for (let i = 0; i < data.sizes.startupReps; i++) {
    const { layers, merged } = freshLayers(dir, lower, i);
    runs.push(await startupOnce(command(layers, merged), merged, join(dir, `marks-${i}`), data.sizes.stepTimeoutMs));
    rmSync(join(dir, `s${i}`), { recursive: true, force: true });
    if (floors) for (const [m, args] of NODE_FLOORS) floorMs.get(m)!.push(timeCommand([process.execPath, ...args], binEnv(process.env), data.sizes.stepTimeoutMs));
    if (callerEnvFloor) floorMs.get(CALLER_ENV_FLOOR)!.push(timeCommand([process.execPath, '-e', '0'], process.env, data.sizes.stepTimeoutMs));
  }
  rec.ok('startup', median(runs.map((r) => r.ms)), 'ms');
  for (const [m, xs] of floorMs) if (xs.length > 0) rec.ok(m, median(xs), 'ms');
  for (const b of breakdown(runs.map((r) => r.marks))) if (b.n === runs.length) rec.ok(`startup@${b.mark}`, b.ms, 'ms');
}

/** A throw anywhere (a failed mount, a wrong answer) fails the metric with its reason (runGuarded). */
export const startup: Workload = {
  name: 'startup',
  metrics: () => [['startup', 'ms']],
  run: runStartup,
};
