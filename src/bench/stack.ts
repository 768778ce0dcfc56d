// One overlay stack of a workload on one target: fresh upper/work/merged under the run dir, the
// given lowers, and mount/remount/unmount that always leave nothing mounted behind.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMounted, umountSurely } from '../sys/index.js';
import { kick, unwatch, watch } from './guard.js';
import type { FsTarget, Layers } from './targets.js';

export class Stack {
  readonly layers: Layers;
  readonly merged: string;

  constructor(
    readonly target: FsTarget,
    lowers: string[],
    dir: string,
  ) {
    this.layers = { lowers, upper: join(dir, 'upper'), work: join(dir, 'work') };
    this.merged = join(dir, 'merged');
    for (const d of [this.layers.upper, this.layers.work, this.merged]) mkdirSync(d, { recursive: true });
  }

  async mount(): Promise<void> {
    kick();
    await this.target.mount(this.layers, this.merged);
    // Only a FUSE daemon can stop answering; the kernel overlay needs no watchdog.
    if (this.target.name !== 'kernel') watch(this.merged);
  }

  async unmount(): Promise<void> {
    unwatch(this.merged);
    if (isMounted(this.merged)) await umountSurely(this.merged);
    // A FUSE daemon exits after its unmount; give it a moment so it does not run into the next step.
    if (this.target.name !== 'kernel') await new Promise((r) => setTimeout(r, 100));
  }

  /** A new mount of the same layers: the overlay's own caches are gone, the backing page cache is not. */
  async remount(): Promise<void> {
    await this.unmount();
    await this.mount();
  }

  path(rel: string): string {
    return join(this.merged, rel);
  }
}

/** Mount a stack for `fn` and unmount it afterwards, also when `fn` throws. */
export async function withStack<T>(target: FsTarget, lowers: string[], dir: string, fn: (s: Stack) => Promise<T>): Promise<T> {
  const s = new Stack(target, lowers, dir);
  await s.mount();
  try {
    return await fn(s);
  } finally {
    await s.unmount();
  }
}
