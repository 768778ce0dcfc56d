// The layer scan on both cores: layers are independent, so threads walk and stat them (statx per
// entry was the largest part of the main thread's work on the bench root) while the main thread
// only rebuilds the entries (scan-wire.ts) and hands size collisions to the hashing threads.
// Layers are handed out one at a time to whichever thread is free and delivered in their order,
// so warnings, inode ids and everything downstream are exactly those of a scan in one thread.
import { Worker } from 'node:worker_threads';
import { decodeScan, type WireScan } from './scan-wire.js';
import type { LayerScan, Warning } from './types.js';

export interface ScanJob {
  index: number;
  dir: string;
  fileXattrs: boolean;
}

export interface ScanAnswer {
  index: number;
  /** null: the layer's top dir could not be read (a warning says why) */
  wire: WireScan | null;
  warnings: Warning[];
}

// Tests run the TypeScript sources; the built CLI runs dist/.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './scan-worker.ts' : './scan-worker.js', import.meta.url);

/** One layer's result, in layer order. */
export type OnScanned = (index: number, scan: LayerScan | null, warnings: Warning[]) => void;

export class ScanWorkers {
  private readonly workers: Worker[];
  private failure: Error | undefined;

  /** Start the threads now (their start-up overlaps discovery); unreferenced until `scan`. */
  constructor(count = 2) {
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(WORKER_URL);
      w.unref();
      w.on('error', (err) => (this.failure ??= err));
      return w;
    });
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  /** Scan `dirs`; `onScanned` gets each in order as soon as it and all before it are done. */
  scan(dirs: readonly string[], fileXattrs: boolean, onScanned: OnScanned): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      let next = 0;
      let delivered = 0;
      const ready = new Map<number, ScanAnswer>();
      const fail = (err: unknown): void => {
        this.close();
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const give = (w: Worker): void => {
        if (next < dirs.length) w.postMessage({ index: next, dir: dirs[next++]!, fileXattrs } satisfies ScanJob);
      };
      const deliver = (): void => {
        for (let a; (a = ready.get(delivered)) !== undefined; delivered++) {
          ready.delete(delivered);
          onScanned(delivered, a.wire ? decodeScan(a.wire) : null, a.warnings);
        }
        if (delivered === dirs.length) {
          this.close();
          resolve();
        }
      };
      for (const w of this.workers) {
        w.ref();
        w.on('error', fail);
        w.on('exit', (code) => delivered < dirs.length && fail(new Error(`scan worker exited with ${code}`)));
        w.on('message', (a: ScanAnswer) => {
          give(w);
          ready.set(a.index, a);
          try {
            deliver();
          } catch (err) {
            fail(err);
          }
        });
        // Two layers each: a thread starts the next while its last answer crosses to this thread.
        give(w);
        give(w);
      }
      if (dirs.length === 0) deliver();
    });
  }
}
