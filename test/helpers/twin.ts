// Side-by-side runs: the same layers are built twice, one copy mounted with kernel overlayfs and
// the other with ovl-fuse; the same steps run on both and their observations must be equal.
import { mkdirSync, rmSync } from 'node:fs';
import type { Test } from 'tap';
import { join } from 'node:path';
import { umountSurely } from '../../src/sys/index.js';
import { mountFuse } from './fuse.js';
import { type LayerDirs, type Teardowns, layerDirs, mountKernel } from './layers.js';
import { dumpTree, type DumpOptions } from './tree.js';

export type Target = 'kernel' | 'fuse';

export interface Scenario {
  lowers: number;
  /** Extra mount options for both targets (e.g. 'redirect_dir=on'). */
  options?: string;
  /** Options for the ovl-fuse mount only (e.g. 'transport=dev'). */
  fuseOptions?: string;
  setup(d: LayerDirs): void;
  /** Steps through the mount; returns named observations (must not depend on the target). */
  steps(m: string, d: LayerDirs): Record<string, unknown>;
  dump?: DumpOptions;
}

export interface TwinResult {
  observed: Record<string, unknown>;
  tree: Record<string, string>;
  dirs: LayerDirs;
}

function kernelExtra(options: string | undefined): Record<string, string | true> {
  const extra: Record<string, string | true> = {};
  for (const tok of (options ?? '').split(',').filter(Boolean)) {
    const i = tok.indexOf('=');
    if (i < 0) extra[tok] = true;
    else extra[tok.slice(0, i)] = tok.slice(i + 1);
  }
  return extra;
}

/** Build the scenario's layers, mount them with `target`, run the steps and dump the tree. */
export async function runOn(t: Teardowns, target: Target, s: Scenario): Promise<TwinResult> {
  const d = layerDirs(t, s.lowers, `ovlkit-${target}-`);
  s.setup(d);
  if (target === 'kernel') {
    const { redirect_dir: redirectDir, ...extra } = kernelExtra(s.options);
    mountKernel(d, { extra, ...(redirectDir ? { redirectDir: redirectDir as 'on' } : {}) });
  } else await mountFuse(t, d, [s.options, s.fuseOptions].filter(Boolean).join(','));
  const observed = s.steps(d.merged, d);
  const tree = dumpTree(d.merged, s.dump);
  return { observed, tree, dirs: d };
}

/** Run on both targets; returns [kernel, fuse]. */
export async function runTwin(t: Teardowns, s: Scenario): Promise<[TwinResult, TwinResult]> {
  const k = await runOn(t, 'kernel', s);
  const f = await runOn(t, 'fuse', s);
  return [k, f];
}

/** Unmount whatever is on d.merged and mount the same dirs with the other implementation. */
export async function remountAs(t: Teardowns, target: Target, d: LayerDirs, options?: string): Promise<void> {
  await umountSurely(d.merged);
  // The kernel refuses a workdir whose work/ another mount left busy-looking; start it clean.
  rmSync(join(d.work, 'work'), { recursive: true, force: true });
  mkdirSync(d.work, { recursive: true });
  if (target === 'kernel') {
    const { redirect_dir: redirectDir, ...extra } = kernelExtra(options);
    mountKernel(d, { extra, ...(redirectDir ? { redirectDir: redirectDir as 'on' } : {}) });
  } else await mountFuse(t, d, options);
}

/** A subtest that runs `s` on the kernel and on ovl-fuse and requires the same observations and tree. */
export async function sameOnBoth(t: Test, name: string, s: Scenario): Promise<void> {
  await t.test(name, async (t) => {
    const [k, f] = await runTwin(t, s);
    t.same(f.observed, k.observed, 'observations');
    t.same(f.tree, k.tree, 'merged tree');
  });
}
