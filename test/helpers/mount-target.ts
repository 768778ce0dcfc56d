// One side of a side-by-side case (test/helpers/side-by-side.ts) mounted with an option string
// given as is to both: to the kernel's overlay through mount(8), to ovl-fuse as its -o. The same
// string on both sides is the point: an option one of them reads differently shows as a diff.
import { execFileSync, spawnSync } from 'node:child_process';
import { execa } from 'execa';
import { ovlFuseBin, startFuse } from './fuse.js';
import type { LayerDirs, Teardowns } from './layers.js';
import type { Case, Target } from './side-by-side.js';

/** Mount `target` on `merged` with `options` (ovl-fuse's daemon is stopped in t's teardown). */
export async function mountTarget(t: Teardowns, target: Target, merged: string, options: string): Promise<void> {
  if (target === 'kernel') execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', options, merged]);
  else await startFuse(t, options, merged);
}

/** A Case's `mount`: the option string `options(d, target)` on d.merged. */
export function mountWith(options: (d: LayerDirs, target: Target) => string): NonNullable<Case<unknown>['mount']> {
  return (t, target, d) => mountTarget(t, target, d.merged, options(d, target));
}

/**
 * As mountTarget, for a mount that may be refused: the command's exit code and what it printed on
 * stderr (ovl-fuse detached, as a user runs it: its warnings and its one error line). A mount made
 * is unmounted by the teardown of the LayerDirs `merged` belongs to.
 */
export async function tryMount(target: Target, merged: string, options: string): Promise<{ code: number; stderr: string }> {
  if (target === 'kernel') {
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, merged], { encoding: 'utf8' });
    return { code: r.status ?? -1, stderr: r.stderr.trim() };
  }
  const r = await execa(ovlFuseBin, ['-o', options, merged], { reject: false, env: { CI: '' } });
  return { code: r.exitCode ?? -1, stderr: r.stderr };
}
