// Runs one scenario on one target in fresh temp dirs: build the layers on a private tmpfs, mount,
// run each op in the worker with a deadline, walk the merged tree, unmount, dump the layers,
// normalise. A hang or crash ends the scenario as a failure after the target is torn down hard.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { errnoCodeOf } from '../errors.js';
import { cleanup } from './cleanup.js';
import { RunDirs, type ScenarioDirs } from './run-dirs.js';
import type { RawResult } from './exec-op.js';
import { buildLayer } from './layers.js';
import { Normaliser } from './normalise.js';
import { describeOp } from './ops.js';
import type { RawEntry } from './raw.js';
import { walkTree } from './raw.js';
import { layerName, type Scenario } from './scenario.js';
import type { LayerPaths, Mounted, Target } from './targets.js';
import type { ObsResult, Trace } from './trace.js';
import { WorkerClient } from './worker-client.js';

interface RawTrace {
  ops: RawResult[];
  merged?: RawEntry[];
  remounted?: RawEntry[];
}

export interface RunnerOptions {
  /** Deadline for each operation, mount and tree walk. */
  timeoutMs?: number;
}

/** The mount a scenario is running on, and its layer dirs (which a rotation changes). */
interface Live {
  p: ScenarioDirs;
  mounted?: Mounted;
  rotations: number;
}

export class ScenarioRunner {
  private readonly timeoutMs: number;
  private readonly unregister: () => void;
  private readonly dirs = new RunDirs();
  /** Workers not running a scenario now; run() takes one or starts one (two run at once at most: reference and target). */
  private readonly idle: WorkerClient[] = [];
  private readonly all = new Set<WorkerClient>();

  constructor(opts: RunnerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.unregister = cleanup.killer(() => this.all.forEach((w) => w.kill()));
  }

  close(): void {
    this.all.forEach((w) => w.close());
    this.all.clear();
    this.idle.length = 0;
    this.dirs.close();
    this.unregister();
  }

  async run(target: Target, s: Scenario): Promise<Trace> {
    const p = this.dirs.make(s);
    const w = this.idle.pop() ?? new WorkerClient();
    this.all.add(w);
    try {
      return await this.runIn(w, target, s, p);
    } finally {
      this.idle.push(w);
      this.dirs.remove(p);
    }
  }

  private async mount(target: Target, s: Scenario, p: LayerPaths): Promise<Mounted> {
    cleanup.mount(p.merged);
    try {
      return await target.mount(p, s.options ?? {}, this.timeoutMs);
    } catch (e) {
      cleanup.unmounted(p.merged);
      throw e;
    }
  }

  private async unmount(m: Mounted, p: LayerPaths): Promise<void> {
    await m.unmount();
    cleanup.unmounted(p.merged);
  }

  private init(w: WorkerClient, p: ScenarioDirs): Promise<unknown> {
    return w.request({ kind: 'init', merged: p.merged, lowers: p.lowers, upper: p.upper, scratch: p.scratch }, this.timeoutMs);
  }

  /** remount and rotate: unmount, then mount the same dirs, or the upper as the new top lower over a fresh upper. */
  private async remount(w: WorkerClient, target: Target, s: Scenario, live: Live, rotate: boolean): Promise<void> {
    await w.request({ kind: 'closeAll' }, this.timeoutMs);
    await this.unmount(live.mounted!, live.p);
    live.mounted = undefined;
    if (rotate) {
      live.rotations++;
      const p = live.p;
      live.p = { ...p, lowers: [p.upper, ...p.lowers], upper: join(p.root, `upper${live.rotations}`), work: join(p.root, `work${live.rotations}`) };
      mkdirSync(live.p.upper);
      mkdirSync(live.p.work);
    }
    live.mounted = await this.mount(target, s, live.p);
    if (rotate) await this.init(w, live.p);
  }

  private async runIn(w: WorkerClient, target: Target, s: Scenario, p0: ScenarioDirs): Promise<Trace> {
    const trace: Trace = { target: target.name, skipped: {}, ops: [] };
    const raw: RawTrace = { ops: [] };
    try {
      [...s.lowers, s.upper].forEach((layer, i) => {
        const name = i < s.lowers.length ? layerName(i) : 'upper';
        const skipped = buildLayer(i < s.lowers.length ? p0.lowers[i]! : p0.upper, layer);
        if (skipped.length) trace.skipped[name] = skipped;
      });
    } catch (e) {
      trace.failure = { phase: 'setup', reason: `${errnoCodeOf(e)}: ${(e as Error).message}` };
      return trace;
    }
    const live: Live = { p: p0, rotations: 0 };
    try {
      live.mounted = await this.mount(target, s, p0);
    } catch (e) {
      trace.failure = { phase: 'mount', reason: (e as Error).message };
      return trace;
    }
    try {
      await this.init(w, p0);
      for (const op of s.ops) {
        trace.ops.push({ op: describeOp(op), result: { ok: true } });
        if (op.op === 'remount' || op.op === 'rotate') {
          await this.remount(w, target, s, live, op.op === 'rotate');
          raw.ops.push({ ok: true });
        } else raw.ops.push(await w.request<RawResult>({ kind: 'op', op }, this.timeoutMs));
      }
      await w.request({ kind: 'closeAll' }, this.timeoutMs);
      raw.merged = await w.request<RawEntry[]>({ kind: 'walk', root: p0.merged, order: true }, this.timeoutMs);
      await this.unmount(live.mounted!, p0);
      live.mounted = undefined;
      // After layers changed while mounted, a fresh mount must show the same on every target.
      if (s.ops.some((o) => o.op === 'mutate')) {
        live.mounted = await this.mount(target, s, live.p);
        raw.remounted = await w.request<RawEntry[]>({ kind: 'walk', root: p0.merged, order: true }, this.timeoutMs);
        await this.unmount(live.mounted, live.p);
        live.mounted = undefined;
      }
    } catch (e) {
      const opIndex = raw.ops.length < s.ops.length && !raw.merged ? raw.ops.length : undefined;
      trace.failure = { phase: opIndex === undefined ? 'final' : 'op', reason: `${errnoCodeOf(e)}: ${(e as Error).message}` };
      if (opIndex !== undefined) trace.failure.opIndex = opIndex;
      w.kill();
      live.mounted?.abort();
      cleanup.unmounted(p0.merged);
    }
    // After rotations the layers are the ones of the last mount: the old uppers are lowers now.
    this.normalise(trace, raw, live.p, s.separateLowerFs === true);
    return trace;
  }

  /**
   * Normalise in one fixed order so inode classes line up across targets: ops and the merged tree
   * in one set of classes; what is on disk and what a fresh mount shows in another, so that an
   * accepted difference seen through the mount (e.g. a stale inode after a layer change) cannot
   * shift the labels of the invariants checked after it.
   */
  private normalise(trace: Trace, raw: RawTrace, p: LayerPaths, splitFs = false): void {
    const n = new Normaliser();
    raw.ops.forEach((r, i) => (trace.ops[i]!.result = normaliseResult(n, r, `op${i + 1}`)));
    trace.ops.length = raw.ops.length;
    if (raw.merged) trace.merged = n.entries(raw.merged, 'merged');
    const disk = raw.remounted ? new Normaliser() : n;
    if (raw.remounted) trace.remounted = disk.entries(raw.remounted, 'remounted');
    const tree = (root: string) => (splitFs ? onFs(walkTree(root), root) : walkTree(root));
    trace.upper = disk.entries(tree(p.upper), 'upper', { layer: true });
    trace.lowers = p.lowers.map((l, i) => disk.entries(tree(l), layerName(i), { layer: true }));
  }
}

/**
 * A layer tree on a filesystem of its own (Scenario.separateLowerFs): its raw inode numbers mean
 * something only with that filesystem, and the upper's tmpfs and the lowers' number from the same
 * small integers, so they are told apart by st_dev. Without it an upper file and a lower file made
 * one inode class on one target only (the kernel's mount-time probes take upper inode numbers
 * that ovl-fuse's do not), and a merged object showing its lower's raw number (the kernel with
 * xino=off, which tells them apart by st_dev instead) was one class with that lower object.
 */
function onFs(entries: RawEntry[], root: string): RawEntry[] {
  const dev = statSync(root).dev;
  for (const e of entries) if (e.stat) e.stat.ino = `${dev}:${e.stat.ino}`;
  return entries;
}

function normaliseResult(n: Normaliser, r: RawResult, site: string): ObsResult {
  if (!r.ok || !r.value) return r.ok ? { ok: true } : { ok: false, errno: r.errno };
  const v = r.value;
  if ('stat' in v) return { ok: true, value: { stat: n.stat(v.stat, site) } };
  return { ok: true, value: v };
}
