// Everything a run has mounted, started or created, so that nothing outlives it: the runner
// unregisters what it tears down itself, and on SIGINT/SIGTERM (or a crash) the rest is killed,
// force-unmounted (FUSE aborted, then detached) and removed synchronously before exiting.
import { rmSync } from 'node:fs';
import { forceUnmount } from '../sys/index.js';

const mounts: string[] = [];
const roots = new Set<string>();
const killers = new Set<() => void>();
let installed = false;

export const cleanup = {
  mount(path: string): void {
    mounts.push(path);
  },
  unmounted(path: string): void {
    const i = mounts.lastIndexOf(path);
    if (i >= 0) mounts.splice(i, 1);
  },
  root(path: string): void {
    roots.add(path);
  },
  removed(path: string): void {
    roots.delete(path);
  },
  killer(fn: () => void): () => void {
    killers.add(fn);
    return () => killers.delete(fn);
  },
  /** How many things are still registered (tests check it drops to zero). */
  pending(): number {
    return mounts.length + roots.size + killers.size;
  },
};

/** Undo everything still registered, newest mount first. Synchronous, so a signal handler can use it. */
export function cleanupNow(): void {
  for (const k of [...killers]) {
    try {
      k();
    } catch {
      // best effort: the process may be gone already
    }
  }
  killers.clear();
  for (const m of mounts.splice(0).reverse()) {
    try {
      forceUnmount(m);
    } catch {
      // keep going: the other mounts still need to go
    }
  }
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  roots.clear();
}

/** On SIGINT/SIGTERM: clean up, say so on stderr, exit 130/143 as a shell would. */
export function installSignalCleanup(name: string): void {
  if (installed) return;
  installed = true;
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n${name}: ${sig}: unmounting and removing temp dirs\n`);
      cleanupNow();
      process.exit(code);
    });
  }
}
