// Where scenarios run: one private tmpfs per runner (and a second one for lowers that must live
// on a filesystem of their own), mounted at the first scenario and kept, with a fresh subdir per
// scenario that is removed after it. A tmpfs mount and unmount cost ~30 ms of RCU waits each on
// these machines — per scenario and side, that was a third of the kernel's own cost. tmpfs
// numbers inodes from a per-mount counter and never reuses them; traces only keep equality
// classes of inode numbers, so sharing the mount changes no observation — with one exception:
// layers on two filesystems (separateLowerFs). There overlayfs numbers merged dirs from the
// kernel's global get_next_ino() counter, and a shared tmpfs whose own counter has grown into
// that range gave a lower root the same number as a merged dir (a false inode class, seen once
// in 2,331 kernel-vs-kernel scenarios). Those scenarios get two fresh tmpfs mounts of their own,
// whose small numbers stay far below the global counter, as before.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forceUnmount, mountTmpfs } from '../sys/index.js';
import { cleanup } from './cleanup.js';
import type { Scenario } from './scenario.js';
import type { LayerPaths } from './targets.js';

/** A scenario's dirs, and the dirs to remove after it. */
export type ScenarioDirs = LayerPaths & { scratch: string; remove: string[]; mounts: string[] };

export class RunDirs {
  private base: string | undefined;
  private readonly mounted = new Map<string, string>();
  private next = 1;

  private baseDir(): string {
    if (!this.base) {
      this.base = mkdtempSync(join(tmpdir(), 'ovl-check-'));
      // Searchable by all (mkdtemp makes it 0700): ops run as another user reach the mount through it.
      chmodSync(this.base, 0o755);
      cleanup.root(this.base);
    }
    return this.base;
  }

  /** The shared tmpfs, mounted on first use. */
  private fs(): string {
    const known = this.mounted.get('fs');
    if (known) return known;
    const d = join(this.baseDir(), 'fs');
    mkdirSync(d);
    mountTmpfs(d, '1g');
    cleanup.mount(d);
    this.mounted.set('fs', d);
    return d;
  }

  /** A fresh tmpfs of one scenario's own. */
  private ownFs(name: string): string {
    const d = join(this.baseDir(), name);
    mkdirSync(d);
    mountTmpfs(d);
    cleanup.mount(d);
    return d;
  }

  /** Fresh dirs for one scenario: layers, work, merged, and a scratch cwd outside every layer. */
  make(s: Scenario): ScenarioDirs {
    const n = this.next++;
    const own = s.separateLowerFs ? [this.ownFs(`s${n}-fs`), this.ownFs(`s${n}-lfs`)] : [];
    const root = own[0] ?? join(this.fs(), `s${n}`);
    const lowerRoot = own[1] ?? root;
    const p: ScenarioDirs = {
      root,
      lowers: s.lowers.map((_, i) => join(lowerRoot, `l${i + 1}`)),
      upper: join(root, 'upper'),
      work: join(root, 'work'),
      merged: join(root, 'merged'),
      scratch: join(root, 'scratch'),
      remove: own.length ? own : [root],
      mounts: own,
    };
    for (const d of [...p.remove, ...p.lowers, p.upper, p.work, p.merged, p.scratch]) mkdirSync(d, { recursive: true });
    return p;
  }

  /** Remove a scenario's dirs (its mounts are gone by now: unmounted, or detached after a hang). */
  remove(p: ScenarioDirs): void {
    for (const d of p.mounts) {
      forceUnmount(d);
      cleanup.unmounted(d);
    }
    // A lazily detached overlay may still be finishing its work dir: retry on ENOTEMPTY/EBUSY,
    // and leave what still cannot go to close(), which removes the whole base.
    for (const d of p.remove) {
      try {
        rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      } catch {
        // still busy: close() removes it with the base
      }
    }
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
