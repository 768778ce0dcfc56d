// Where scenarios run: one private tmpfs per runner (and a second one for lowers that must live
// on a filesystem of their own), mounted at the first scenario and kept, with a fresh subdir per
// scenario that is removed after it. A tmpfs mount and unmount cost ~30 ms of RCU waits each on
// these machines — per scenario and side, that was a third of the kernel's own cost. tmpfs
// numbers inodes from a per-mount counter and never reuses them; traces only keep equality
// classes of inode numbers, so sharing the mount changes no observation.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forceUnmount, mountTmpfs } from '../sys/index.js';
import { cleanup } from './cleanup.js';
import type { Scenario } from './scenario.js';
import type { LayerPaths } from './targets.js';

/** A scenario's dirs, and the dirs to remove after it. */
export type ScenarioDirs = LayerPaths & { scratch: string; remove: string[] };

export class RunDirs {
  private base: string | undefined;
  private readonly mounted = new Map<string, string>();
  private next = 1;

  /** The tmpfs `name` ('fs', 'lfs'), mounted on first use. */
  private fs(name: string): string {
    const known = this.mounted.get(name);
    if (known) return known;
    if (!this.base) {
      this.base = mkdtempSync(join(tmpdir(), 'ovl-check-'));
      cleanup.root(this.base);
    }
    const d = join(this.base, name);
    mkdirSync(d);
    mountTmpfs(d, '1g');
    cleanup.mount(d);
    this.mounted.set(name, d);
    return d;
  }

  /** Fresh dirs for one scenario: layers, work, merged, and a scratch cwd outside every layer. */
  make(s: Scenario): ScenarioDirs {
    const n = this.next++;
    const root = join(this.fs('fs'), `s${n}`);
    const lowerRoot = s.separateLowerFs ? join(this.fs('lfs'), `s${n}`) : root;
    const p: ScenarioDirs = {
      root,
      lowers: s.lowers.map((_, i) => join(lowerRoot, `l${i + 1}`)),
      upper: join(root, 'upper'),
      work: join(root, 'work'),
      merged: join(root, 'merged'),
      scratch: join(root, 'scratch'),
      remove: lowerRoot === root ? [root] : [root, lowerRoot],
    };
    for (const d of [...p.remove, ...p.lowers, p.upper, p.work, p.merged, p.scratch]) mkdirSync(d, { recursive: true });
    return p;
  }

  /** Remove a scenario's dirs (its mounts are gone by now: unmounted, or detached after a hang). */
  remove(p: ScenarioDirs): void {
    for (const d of p.remove) rmSync(d, { recursive: true, force: true });
  }

  /** Unmount the tmpfs mounts and remove the base dir. */
  close(): void {
    for (const d of [...this.mounted.values()].reverse()) {
      forceUnmount(d);
      cleanup.unmounted(d);
    }
    this.mounted.clear();
    if (this.base) {
      rmSync(this.base, { recursive: true, force: true });
      cleanup.removed(this.base);
      this.base = undefined;
    }
  }
}
