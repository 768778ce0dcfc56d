// walk and deep: `find -printf '%y %s'` over the 20 × 20-dir tree (cold, warm, after a remount),
// and the same tree spread over L lowers, plus lookup by path alone. Checks: the exact number of
// entries and that every file shows its 64 bytes.
import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { firstLine, runTool } from '../sys/index.js';
import { SMALL_SIZE, deepDir, lowersOf } from './gen-tree.js';
import { daemonAnonMiB } from './daemon-memory.js';
import { expect, makeCold, median, timed } from './record.js';
import { Stack } from './stack.js';
import type { Workload, WorkloadCtx } from './workload.js';

/** One timed `find` of the merged tree, checked against the expected entry and file counts. */
async function walkOnce(ctx: WorkloadCtx, s: Stack): Promise<{ value: number; interfered: number }> {
  const t = await timed(() => runTool('find', [s.merged, '-printf', '%y %s\n'], { timeoutMs: ctx.data.sizes.stepTimeoutMs }));
  expect(t.value.exitCode === 0, `find: ${firstLine(t.value)}`);
  const lines = t.value.stdout.split('\n').filter((l) => l.length > 0);
  expect(lines.length === ctx.data.walkEntries, `find saw ${lines.length} entries, expected ${ctx.data.walkEntries}`);
  const files = lines.filter((l) => l === `f ${SMALL_SIZE}`).length;
  expect(files === ctx.data.paths.length, `${files} files of ${SMALL_SIZE} bytes, expected ${ctx.data.paths.length}`);
  return { value: t.ms, interfered: t.interfered };
}

async function warm(ctx: WorkloadCtx, s: Stack, reps: number): Promise<{ value: number; interfered: number }> {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await walkOnce(ctx, s));
  return { value: median(runs.map((r) => r.value)), interfered: runs.reduce((n, r) => n + r.interfered, 0) };
}

/**
 * The daemon's own memory (daemon-memory.ts) as `metric`; the kernel's overlay has no daemon. Read
 * after a moment's rest, so what a request left for the garbage collector is not what is counted.
 */
async function daemonMemory(ctx: WorkloadCtx, s: Stack, metric: string): Promise<void> {
  if (ctx.target.name === 'kernel') return;
  await new Promise((r) => setTimeout(r, 500));
  try {
    ctx.rec.ok(metric, daemonAnonMiB(s.merged), 'MiB');
  } catch (err) {
    // A figure that cannot be read is a FAIL of its own, not of the walk around it.
    ctx.rec.fail(metric, (err as Error).message, 'MiB');
  }
}

export const walk: Workload = {
  name: 'walk',
  metrics: () => [['walk_cold', 'ms'], ['walk_warm', 'ms'], ['walk_remount', 'ms'], ['daemon_mem_idle', 'MiB'], ['daemon_mem_walked', 'MiB']],
  async run(ctx) {
    const s = new Stack(ctx.target, lowersOf(deepDir(ctx.data.root, 1), 1), join(ctx.runDir, 'walk'));
    await s.mount();
    try {
      await daemonMemory(ctx, s, 'daemon_mem_idle');
      await ctx.rec.measure('walk_cold', 'ms', async () => {
        await s.remount();
        await makeCold();
        return walkOnce(ctx, s);
      });
      await ctx.rec.measure('walk_warm', 'ms', () => warm(ctx, s, ctx.data.sizes.warmReps));
      // Every name of the tree is held by the kernel now (no drop_caches since the cold walk).
      await daemonMemory(ctx, s, 'daemon_mem_walked');
      await ctx.rec.measure('walk_remount', 'ms', async () => {
        await s.remount();
        return walkOnce(ctx, s);
      });
    } finally {
      await s.unmount();
    }
  },
};

/** lstat every file by its path (no readdir first): the overlay's own lookup across L lowers. */
async function lookupAll(ctx: WorkloadCtx, s: Stack): Promise<{ value: number; interfered: number }> {
  const t = await timed(() => {
    let ok = 0;
    for (const p of ctx.data.paths) if (lstatSync(join(s.merged, p)).size === SMALL_SIZE) ok++;
    return ok;
  });
  expect(t.value === ctx.data.paths.length, `${t.value} of ${ctx.data.paths.length} paths show ${SMALL_SIZE} bytes`);
  return { value: t.ms, interfered: t.interfered };
}

export const deep: Workload = {
  name: 'deep',
  metrics: (d) => d.sizes.deepLayers.flatMap((L) => [[`deep_L${L}_walk_cold`, 'ms'], [`deep_L${L}_walk_warm`, 'ms'], [`deep_L${L}_lookup`, 'ms']] as Array<[string, 'ms']>),
  async run(ctx) {
    for (const L of ctx.data.sizes.deepLayers) {
      const s = new Stack(ctx.target, lowersOf(deepDir(ctx.data.root, L), L), join(ctx.runDir, `deep${L}`));
      try {
        await s.mount();
      } catch (err) {
        for (const m of ['walk_cold', 'walk_warm', 'lookup']) ctx.rec.fail(`deep_L${L}_${m}`, `mount with ${L} lowers: ${(err as Error).message}`);
        continue;
      }
      try {
        await ctx.rec.measure(`deep_L${L}_walk_cold`, 'ms', async () => {
          await s.remount();
          await makeCold();
          return walkOnce(ctx, s);
        });
        await ctx.rec.measure(`deep_L${L}_walk_warm`, 'ms', () => walkOnce(ctx, s));
        await ctx.rec.measure(`deep_L${L}_lookup`, 'ms', async () => {
          await s.remount();
          return lookupAll(ctx, s);
        });
      } finally {
        await s.unmount();
      }
    }
  },
};
