// The hashing threads of analyze. They are started before the scan, so that their start-up (a V8
// isolate each, xxhash's wasm) overlaps it, and then each is handed a contiguous share of the
// size-colliding files in inode order (on a cold cache that is close to disk order): two
// outstanding reads keep a disk or a virtual disk busier than one, and each thread hashes on its
// own core while the main thread analyses the layers.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import xxhash from 'xxhash-wasm';
import type { Located } from './duplicates.js';
import { hashFiles, type HashResult } from './hash.js';
import type { WarningLog } from './read-meta.js';

export interface HashOptions {
  log: WarningLog;
  onProgress?: (bytes: number) => void;
}

/** Width of one xxh64 in hex: the workers answer with one string of these, in the order given. */
const HEX = 16;
const UNREAD = ' '.repeat(HEX);

// A job goes in as few values as possible (the layer dirs once, per file its layer's index and its
// path, paths joined by NUL, which no path holds) and the hashes come back as one string: cloning
// that costs nothing next to 118k [id, path] pairs. A file that could not be read is 16 spaces.
const WORKER = (fn: string): string => `
const { parentPort, workerData } = require('node:worker_threads');
const hashFiles = ${fn};
const ready = require(workerData.xxhash)();
parentPort.once('message', async (job) => {
  const api = await ready;
  const paths = job.paths === '' ? [] : job.paths.split('\\0');
  const targets = paths.map((p, i) => [i, job.bases[job.layer[i]] + '/' + p]);
  let next = 0;
  const r = hashFiles(targets, api, require('node:fs'), (done) => {
    if (done >= next) { parentPort.postMessage({ done }); next = done + (4 << 20); }
  });
  const hex = new Array(paths.length).fill(${JSON.stringify(UNREAD)});
  for (const [i, h] of r.hashes) hex[i] = h;
  parentPort.postMessage({ hashed: hex.join(''), failed: r.failed });
});
`;

interface WorkerMessage {
  done?: number;
  hashed?: string;
  failed?: Array<[string, string]>;
}

/** `${dev}:${ino}` → ino, for ordering reads the way the inodes lie on disk. */
function inoOf(inode: string): number {
  return Number(inode.slice(inode.indexOf(':') + 1)) || 0;
}

const IDX = 2 ** 21;

/**
 * Indexes of `files` by inode number (ties in the given order). As one Float64Array of
 * ino × 2^21 + index sorted natively while the numbers fit in 53 bits: a comparator sort of 118k
 * objects was most of the time the workers waited for their first file.
 */
function inodeOrder(files: readonly Located[]): Uint32Array {
  const n = files.length;
  const keys = new Float64Array(n);
  let fits = n < IDX;
  for (let i = 0; i < n && fits; i++) {
    const ino = inoOf(files[i]!.entry.inode);
    fits = ino < 2 ** 32;
    keys[i] = ino * IDX + i;
  }
  const order = new Uint32Array(n);
  if (fits) {
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i]! % IDX;
  } else {
    const inos = files.map((f) => inoOf(f.entry.inode));
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => inos[a]! - inos[b]! || a - b);
    order.set(idx);
  }
  return order;
}

/** Hashing threads started ahead of their work; `hash` hands it out once and ends them. */
export class HashWorkers {
  private readonly workers: Worker[];
  /** why a thread ended before it was handed its job */
  private readonly ended = new Map<Worker, Error>();

  constructor(count = 2) {
    const xxhashPath = createRequire(import.meta.url).resolve('xxhash-wasm');
    this.workers = Array.from({ length: count }, () => {
      const w = new Worker(WORKER(hashFiles.toString()), { eval: true, workerData: { xxhash: xxhashPath } });
      // Idle until handed a job: it must not keep the process alive, and what ends it meanwhile is kept for `run`.
      w.unref();
      w.on('error', (err) => this.ended.set(w, err));
      w.on('exit', (code) => this.ended.has(w) || this.ended.set(w, new Error(`hash worker exited with ${code}`)));
      return w;
    });
  }

  /** End the threads without work (analysis failed before hashing). */
  close(): void {
    for (const w of this.workers) void w.terminate();
  }

  /**
   * inode id → 16-hex-digit xxh64 of the content, for each file given (one name per inode: the
   * file's path is `root/base/entry.path`). Unreadable files are warnings.
   */
  async hash(root: string, files: readonly Located[], { log, onProgress }: HashOptions): Promise<Map<number, string>> {
    const order = inodeOrder(files);
    const n = Math.max(1, Math.min(this.workers.length, Math.ceil(files.length / 1000)));
    for (const w of this.workers.slice(n)) void w.terminate();
    const per = Math.ceil(files.length / n);
    const done = new Array<number>(n).fill(0);
    const parts = await Promise.all(this.workers.slice(0, n).map((w, i) =>
      this.run(w, root, files, order.subarray(i * per, (i + 1) * per), (b) => {
        done[i] = b;
        onProgress?.(done.reduce((a, x) => a + x, 0));
      })));
    const hashes = new Map<number, string>();
    for (const p of parts) {
      for (const [abs, code] of p.failed) log.add(abs, `cannot read for hashing: ${code}`);
      for (const [id, h] of p.hashes) hashes.set(id, h);
    }
    return hashes;
  }

  private run(w: Worker, root: string, files: readonly Located[], share: Uint32Array, onProgress: (bytes: number) => void): Promise<HashResult> {
    const bases = new Map<string, number>();
    const layer = new Uint32Array(share.length);
    const paths = new Array<string>(share.length);
    for (let i = 0; i < share.length; i++) {
      const f = files[share[i]!]!;
      let b = bases.get(f.base);
      if (b === undefined) bases.set(f.base, (b = bases.size));
      layer[i] = b;
      paths[i] = f.entry.path;
    }
    const early = this.ended.get(w);
    if (early) return Promise.reject(early);
    w.ref();
    w.postMessage({ bases: [...bases.keys()].map((b) => `${root}/${b}`), layer, paths: paths.join('\0') });
    return new Promise((resolve, reject) => {
      w.on('message', (m: WorkerMessage) => {
        if (m.hashed !== undefined) {
          const hashes: Array<[number, string]> = [];
          for (let i = 0; i < share.length; i++) {
            const h = m.hashed.slice(i * HEX, (i + 1) * HEX);
            if (h !== UNREAD) hashes.push([files[share[i]!]!.entry.id, h]);
          }
          resolve({ hashes, failed: m.failed ?? [] });
          void w.terminate();
        } else if (m.done !== undefined) onProgress(m.done);
      });
      w.on('error', reject);
      w.on('exit', (code) => reject(new Error(`hash worker exited with ${code}`)));
    });
  }
}

/** `HashWorkers.hash` on threads started now, or (worker: false) on the calling thread. */
export async function hashInodes(root: string, files: readonly Located[], opts: HashOptions & { worker?: boolean; workers?: number }): Promise<Map<number, string>> {
  if (opts.worker !== false && files.length > 0) return new HashWorkers(opts.workers).hash(root, files, opts);
  const order = inodeOrder(files);
  const list = Array.from(order, (i): [number, string] => [files[i]!.entry.id, `${root}/${files[i]!.base}/${files[i]!.entry.path}`]);
  const r = hashFiles(list, await xxhash(), fs, opts.onProgress);
  for (const [abs, code] of r.failed) opts.log.add(abs, `cannot read for hashing: ${code}`);
  return new Map(r.hashes);
}
