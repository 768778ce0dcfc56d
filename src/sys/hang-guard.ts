// A watchdog for FUSE mounts whose daemon stops answering. A synchronous fs call on such a mount
// blocks the main thread for good, so no timer there can help: a worker thread watches for
// progress (kick) and, when none comes for `limitMs`, force-unmounts the watched mounts. FUSE
// aborts the connection on a forced unmount, the blocked call returns ENOTCONN, and the caller
// records a failure instead of hanging.
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { execFileSync } = require('node:child_process');
const mounts = new Set();
let last = Date.now();
parentPort.on('message', (m) => {
  if (m.watch) mounts.add(m.watch);
  if (m.unwatch) mounts.delete(m.unwatch);
  last = Date.now();
});
setInterval(() => {
  if (mounts.size === 0 || Date.now() - last < workerData.limitMs) return;
  for (const m of mounts) {
    for (const flag of ['-f', '-l']) {
      try { execFileSync('umount', [flag, m], { stdio: 'ignore' }); break; } catch {}
    }
    parentPort.postMessage({ fired: m });
  }
  mounts.clear();
  last = Date.now();
}, Math.min(1000, workerData.limitMs / 4));
`;

export class HangGuard {
  private readonly worker: Worker;
  /** mounts the guard had to force off, in order */
  readonly fired: string[] = [];

  constructor(readonly limitMs: number) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { limitMs } });
    this.worker.on('message', (m: { fired?: string }) => m.fired && this.fired.push(m.fired));
    // The guard must never keep the process alive on its own.
    this.worker.unref();
  }

  watch(merged: string): void {
    this.worker.postMessage({ watch: merged });
  }

  unwatch(merged: string): void {
    this.worker.postMessage({ unwatch: merged });
  }

  /** Progress: restarts the clock. */
  kick(): void {
    this.worker.postMessage({});
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
