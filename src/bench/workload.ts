// What every FUSE workload gets, and the guard that turns a broken mount into FAILs of all the
// workload's metrics (with the reason) instead of stopping the run.
import type { DataSet } from './dataset.js';
import { Recorder, reason } from './record.js';
import type { FsTarget } from './targets.js';
import type { Unit } from './types.js';

export interface WorkloadCtx {
  data: DataSet;
  rec: Recorder;
  target: FsTarget;
  /** a fresh dir for this target and round; the workload makes its stacks below it */
  runDir: string;
}

export interface Workload {
  name: string;
  /** the metrics it reports, so a failure before any measurement can still name them */
  metrics(data: DataSet): Array<[string, Unit]>;
  run(ctx: WorkloadCtx): Promise<void>;
}

/** Run a workload; if it throws outside its own measurements, every metric it has not reported fails. */
export async function runGuarded(w: Workload, ctx: WorkloadCtx): Promise<void> {
  try {
    await w.run(ctx);
  } catch (err) {
    const seen = new Set(ctx.rec.samples.map((s) => s.metric));
    for (const [metric, unit] of w.metrics(ctx.data)) if (!seen.has(metric)) ctx.rec.fail(metric, reason(err), unit);
  }
}
