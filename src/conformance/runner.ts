// Runs one scenario on one target in fresh temp dirs: build the layers on a private tmpfs, mount,
// run each op in the worker with a deadline, walk the merged tree, unmount, dump the layers,
// normalise. A hang or crash ends the scenario as a failure after the target is torn down hard.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { errnoCodeOf } from '../errors.js';
import { mountTmpfs, umountSurely } from '../sys/index.js';
import { cleanup } from './cleanup.js';
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

export interface RunnerOptions {
  /** Deadline for each operation, mount and tree walk. */
  timeoutMs?: number;
}

/** The cwd of programs a scenario runs: beside the layers' tmpfs, removed with the run dir. */
const scratchOf = (p: LayerPaths) => join(dirname(p.root), 'scratch');

/** Make the run dirs: one tmpfs for everything, or a second one for the lowers. */
function makeDirs(s: Scenario): LayerPaths & { tmpfs: string[]; base: string } {
  const base = mkdtempSync(join(tmpdir(), 'ovl-check-'));
  cleanup.root(base);
  const tmpfs: string[] = [];
  const fsDir = (name: string) => {
    const d = join(base, name);
    mkdirSync(d);
    mountTmpfs(d);
    cleanup.mount(d);
    tmpfs.push(d);
    return d;
  };
  const root = fsDir('fs');
  const lowerRoot = s.separateLowerFs ? fsDir('lfs') : root;
  const p = {
    base,
    tmpfs,
    root,
    lowers: s.lowers.map((_, i) => join(lowerRoot, `l${i + 1}`)),
    upper: join(root, 'upper'),
    work: join(root, 'work'),
    merged: join(root, 'merged'),
  };
  for (const d of [...p.lowers, p.upper, p.work, p.merged, scratchOf(p)]) mkdirSync(d);
  return p;
}

async function removeDirs(p: { tmpfs: string[]; base: string }): Promise<void> {
  for (const d of [...p.tmpfs].reverse()) {
    await umountSurely(d);
    cleanup.unmounted(d);
  }
  rmSync(p.base, { recursive: true, force: true });
  cleanup.removed(p.base);
}

/** The mount a scenario is running on, and its layer dirs (which a rotation changes). */
interface Live {
  p: LayerPaths;
  mounted?: Mounted;
  rotations: number;
}

export class ScenarioRunner {
  readonly worker = new WorkerClient();
  private readonly timeoutMs: number;
  private readonly unregister: () => void;

  constructor(opts: RunnerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.unregister = cleanup.killer(() => this.worker.kill());
  }

  close(): void {
    this.worker.close();
    this.unregister();
  }

  async run(target: Target, s: Scenario): Promise<Trace> {
    const p = makeDirs(s);
    try {
      return await this.runIn(target, s, p);
    } finally {
      await removeDirs(p);
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

  private init(p: LayerPaths): Promise<unknown> {
    return this.worker.request({ kind: 'init', merged: p.merged, lowers: p.lowers, upper: p.upper, scratch: scratchOf(p) }, this.timeoutMs);
  }

  /** remount and rotate: unmount, then mount the same dirs, or the upper as the new top lower over a fresh upper. */
  private async remount(target: Target, s: Scenario, live: Live, rotate: boolean): Promise<void> {
    await this.worker.request({ kind: 'closeAll' }, this.timeoutMs);
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
    if (rotate) await this.init(live.p);
  }

  private async runIn(target: Target, s: Scenario, p0: LayerPaths): Promise<Trace> {
    const trace: Trace = { target: target.name, skipped: {}, ops: [] };
    const raw: { ops: RawResult[]; merged?: RawEntry[] } = { ops: [] };
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
      await this.init(p0);
      for (const op of s.ops) {
        trace.ops.push({ op: describeOp(op), result: { ok: true } });
        if (op.op === 'remount' || op.op === 'rotate') {
          await this.remount(target, s, live, op.op === 'rotate');
          raw.ops.push({ ok: true });
        } else raw.ops.push(await this.worker.request<RawResult>({ kind: 'op', op }, this.timeoutMs));
      }
      await this.worker.request({ kind: 'closeAll' }, this.timeoutMs);
      raw.merged = await this.worker.request<RawEntry[]>({ kind: 'walk', root: p0.merged, order: true }, this.timeoutMs);
      await this.unmount(live.mounted!, p0);
      live.mounted = undefined;
    } catch (e) {
      const opIndex = raw.ops.length < s.ops.length && !raw.merged ? raw.ops.length : undefined;
      trace.failure = { phase: opIndex === undefined ? 'final' : 'op', reason: `${errnoCodeOf(e)}: ${(e as Error).message}` };
      if (opIndex !== undefined) trace.failure.opIndex = opIndex;
      this.worker.kill();
      live.mounted?.abort();
      cleanup.unmounted(p0.merged);
    }
    // After rotations the layers are the ones of the last mount: the old uppers are lowers now.
    this.normalise(trace, raw, live.p);
    return trace;
  }

  /** Normalise in one fixed order (ops, merged, upper, lowers) so inode classes line up across targets. */
  private normalise(trace: Trace, raw: { ops: RawResult[]; merged?: RawEntry[] }, p: LayerPaths): void {
    const n = new Normaliser();
    raw.ops.forEach((r, i) => (trace.ops[i]!.result = normaliseResult(n, r, `op${i + 1}`)));
    trace.ops.length = raw.ops.length;
    if (raw.merged) trace.merged = n.entries(raw.merged, 'merged');
    trace.upper = n.entries(walkTree(p.upper), 'upper', { layer: true });
    trace.lowers = p.lowers.map((l, i) => n.entries(walkTree(l), layerName(i), { layer: true }));
  }
}

function normaliseResult(n: Normaliser, r: RawResult, site: string): ObsResult {
  if (!r.ok || !r.value) return r.ok ? { ok: true } : { ok: false, errno: r.errno };
  const v = r.value;
  if ('stat' in v) return { ok: true, value: { stat: n.stat(v.stat, site) } };
  return { ok: true, value: v };
}
