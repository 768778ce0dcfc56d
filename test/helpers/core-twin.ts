// The overlay core against the kernel without FUSE: the same layers are built twice; kernel
// overlayfs runs the steps through its mount, the core runs the equal steps on merged paths
// (an Overlay object, no mount). Both uppers are then compared, and the core's layers are
// mounted with the kernel to compare the merged trees the two leave behind.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { resolveMountOptions } from '../../src/format/index.js';
import { prepareWorkdir } from '../../src/fuse/workdir.js';
import { Overlay } from '../../src/fuse/overlay.js';
import { umountSurely } from '../../src/sys/index.js';
import { type LayerDirs, type Teardowns, kernelOptions, layerDirs, mountKernel } from './layers.js';
import { dumpTree } from './tree.js';

export interface CoreScenario {
  lowers?: number;
  redirectDir?: 'on';
  setup(d: LayerDirs): void;
  /** One named step per entry: `kernel` acts on the mounted tree, `core` on the Overlay. */
  steps: { name: string; kernel(merged: string): unknown; core(ovl: Overlay): unknown }[];
}

export interface CoreTwinResult {
  outcomes: Record<string, string>;
  upper: Record<string, string>;
  merged: Record<string, string>;
}

/** 'ok', 'ok <value>' when the step returned one, or the errno code it threw. */
function outcome(fn: () => unknown): string {
  try {
    const v = fn();
    return v === undefined ? 'ok' : `ok ${JSON.stringify(v)}`;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

/** Origin values encode file handles of two different copies; only their presence compares. */
function normalise(tree: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tree)) {
    // The uuid is a mount-time marker of the upper root, not something these steps write.
    out[k] = v.replace(/(overlay\.origin)=[0-9a-f]*/g, "$1=*").replace(/,?trusted\.overlay\.uuid=[0-9a-f]*/, "");
  }
  return out;
}

function result(outcomes: Record<string, string>, d: LayerDirs): CoreTwinResult {
  return { outcomes, upper: normalise(dumpTree(d.upper)), merged: normalise(dumpTree(d.merged)) };
}

async function runKernel(t: Teardowns, s: CoreScenario): Promise<CoreTwinResult> {
  const d = layerDirs(t, s.lowers ?? 1, 'ovlkit-core-k-');
  s.setup(d);
  const opts = s.redirectDir ? { redirectDir: s.redirectDir } : {};
  mountKernel(d, opts);
  const outcomes: Record<string, string> = {};
  for (const step of s.steps) outcomes[step.name] = outcome(() => step.kernel(d.merged));
  await umountSurely(d.merged);
  mountKernel(d, opts);
  const r = result(outcomes, d);
  await umountSurely(d.merged);
  return r;
}

async function runCore(t: Teardowns, s: CoreScenario): Promise<CoreTwinResult> {
  const d = layerDirs(t, s.lowers ?? 1, 'ovlkit-core-c-');
  s.setup(d);
  const opts = s.redirectDir ? { redirectDir: s.redirectDir } : {};
  const cfg = resolveMountOptions(kernelOptions(d, opts));
  prepareWorkdir(d.work);
  const ovl = new Overlay(cfg, 'never', () => ({ uid: 0, gid: 0 }));
  const outcomes: Record<string, string> = {};
  for (const step of s.steps) outcomes[step.name] = outcome(() => step.core(ovl));
  // The kernel wants an empty work dir, as after a clean unmount.
  rmSync(join(d.work, 'work'), { recursive: true, force: true });
  mountKernel(d, opts);
  const r = result(outcomes, d);
  await umountSurely(d.merged);
  return r;
}

/** Run `s` with the kernel and with the core; returns [kernel, core]. */
export async function runCoreTwin(t: Teardowns, s: CoreScenario): Promise<[CoreTwinResult, CoreTwinResult]> {
  return [await runKernel(t, s), await runCore(t, s)];
}

/** A subtest requiring the core to answer every step as the kernel and leave the same upper and merged tree. */
export async function sameAsKernel(t: Test, name: string, s: CoreScenario): Promise<void> {
  await t.test(name, async (t) => {
    const [k, core] = await runCoreTwin(t, s);
    t.same(core.outcomes, k.outcomes, 'result or errno of every step');
    t.same(core.upper, k.upper, 'upper dir');
    t.same(core.merged, k.merged, 'merged tree');
  });
}
