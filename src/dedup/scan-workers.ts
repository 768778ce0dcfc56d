// The layer scan, on this thread and optionally on scan threads: layers are independent, so scan
// threads and this thread walk and stat them in the wire shape (scan-wire.ts), and this thread
// rebuilds the entries and hands size collisions to the hashing threads. Layers are taken one at a
// time by whichever is free and delivered in their order, so warnings, inode ids and everything
// downstream are exactly those of a scan in one thread, whatever the thread count. analyze uses
// none (pipeline.ts): a thread is an isolate to start, load koffi into and compile the scan for
// again; on the bench root it cost the process 0.1-0.3 s more CPU than it saved the main thread
// (~0.2 s), and the process's CPU, not the main thread's, bounds the wall time on two cores.
import { Worker } from 'node:worker_threads';
import { WarningLog } from './read-meta.js';
import type { XattrCache } from './scan.js';
import { decodeScan, walkToWire, type WireScan } from './scan-wire.js';
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
  /** xattrs of hard-linked files scanned on this thread (each scan thread has its own) */
  private readonly xattrCache: XattrCache = new Map();

  /** Start `count` threads now (their start-up overlaps discovery); unreferenced until `scan`. */
  constructor(count: number) {
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
        settled = true;
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
          settled = true;
          this.close();
          resolve();
        }
      };
      let settled = false;
      // This thread takes a layer whenever it has nothing else to do (answers to rebuild first).
      const scanHere = (): void => {
        if (settled || next >= dirs.length) return;
        const index = next++;
        const log = new WarningLog();
        const wire = walkToWire(dirs[index]!, { log, xattrCache: this.xattrCache, fileXattrs });
        ready.set(index, { index, wire, warnings: log.list });
        try {
          deliver();
        } catch (err) {
          fail(err);
        }
        setImmediate(scanHere);
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
      else setImmediate(scanHere);
    });
  }
}
