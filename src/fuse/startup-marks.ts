// Start-up timestamps for measuring where a mount's start-up goes (scripts/startup-breakdown.mjs,
// the bench's startup workload): with OVL_FUSE_STARTUP_LOG=FILE, each step appends "name epoch-ms"
// to FILE, from the main thread and the worker alike (absolute times, so the two threads and the
// caller agree). Unset, a mark costs one comparison: it sits on every mount's path. Date.now(),
// not `performance`: the first use of that global loads perf_hooks in each thread, which alone
// made a marked start-up measurably slower than an unmarked one.
import { appendFileSync } from 'node:fs';

const LOG = process.env.OVL_FUSE_STARTUP_LOG;
// Kept on the thread's global, not in this module: the session worker's bundled core
// (session/worker-core.ts) holds a second copy of this module, and the thread's first mark must
// still be the one that says when it started.
const FIRST_DONE = Symbol.for('ovl-fuse.startup-marks.first-done');
const marked = globalThis as { [FIRST_DONE]?: true };

/** Append `name` with the current time; the first mark of the process also records its start. */
export function mark(name: string): void {
  if (LOG === undefined) return;
  const now = Date.now();
  // In a worker, process.uptime() too counts from the process's start: only the first mark says it.
  const text = (marked[FIRST_DONE] ? '' : `node-start ${(now - process.uptime() * 1000).toFixed(1)}\n`) + `${name} ${now}\n`;
  marked[FIRST_DONE] = true;
  try {
    appendFileSync(LOG, text);
  } catch {
    // A measurement aid must never fail a mount.
  }
}
