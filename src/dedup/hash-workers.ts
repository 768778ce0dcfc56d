// The hashing threads of analyze. They are started before the scan and fed while it runs: after
// each layer, the files whose size another inode already has (the first of each size once a
// second arrives), so hashing overlaps the scan and the layer analysis, and still only size
// collisions are read, as jdupes does. Each batch is split into contiguous shares in inode order
// (on a cold cache that is close to disk order): two outstanding reads keep a disk or a virtual
// disk busier than one, and each thread hashes on its own core.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import xxhash from 'xxhash-wasm';
import type { Located } from './duplicates.js';
import { fileHasher, hashFiles, type HashResult } from './hash.js';
import type { WarningLog } from './read-meta.js';
import { inoOf } from './scan-wire.js';

export interface HashOptions {
  log: WarningLog;
  onProgress?: (bytes: number) => void;
}

/** Width of one xxh64 in hex: the workers answer with one string of these, in the order given. */
const HEX = 16;
const UNREAD = ' '.repeat(HEX);

// A job goes in as few values as possible (the layer dirs once, per file its layer's index and its
// path, paths joined by NUL, which no path holds) and the hashes come back, once all jobs are
// done, as one string: cloning that costs nothing next to 118k [id, path] pairs. A file that could
// not be read is 16 spaces. Jobs arrive while the main thread is still scanning; `end` asks for
// the answer.
const WORKER = (fn: string): string => `
const { parentPort, workerData } = require('node:worker_threads');
const fileHasher = ${fn};
let hasher;
const ready = require(workerData.xxhash)().then((api) => (hasher = fileHasher(api, require('node:fs'))));
const hex = [];
const failed = [];
let next = 0;
// One function for every job's files (compiled once), taking values of the same types each time;
// what runs rarely (progress, failures) is outside its loop, so that it does not deoptimize it.
function hashJob(bases, layer, paths) {
  const mine = [];
  for (let i = 0; i < paths.length; i += 1024) {
    hashRange(bases, layer, paths, mine, i, Math.min(paths.length, i + 1024));
    if (hasher.bytes >= next) progress();
  }
  return mine;
}
function hashRange(bases, layer, paths, mine, from, to) {
  for (let i = from; i < to; i++) {
    const abs = bases[layer[i]] + '/' + paths[i];
    try {
      mine.push(hasher.file(abs));
    } catch (err) {
      mine.push(fail(abs, err));
    }
  }
}
function fail(abs, err) {
  failed.push([abs, err.code ?? String(err)]);
  return ${JSON.stringify(UNREAD)};
}
function progress() {
  parentPort.postMessage({ done: hasher.bytes });
  next = hasher.bytes + (4 << 20);
}
let queue = ready;
parentPort.on('message', (job) => {
  queue = queue.then(() => {
    if (job.end) parentPort.postMessage({ hashed: hex.join(''), failed });
    else hex.push(hashJob(job.bases, job.layer, job.paths.split('\\0')).join(''));
  });
});
`;

interface WorkerMessage {
  done?: number;
  hashed?: string;
  failed?: Array<[string, string]>;
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
    const ino = inoOf(files[i]!.entry);
    fits = ino < 2 ** 32;
    keys[i] = ino * IDX + i;
  }
  const order = new Uint32Array(n);
  if (fits) {
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = keys[i]! % IDX;
  } else {
    const inos = files.map((f) => inoOf(f.entry));
    const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => inos[a]! - inos[b]! || a - b);
    order.set(idx);
  }
  return order;
}

interface Thread {
  worker: Worker;
  /**
   * the inode ids of the files handed to it, in the order it hashes them (ids, not the Located
   * wrappers: those then die young instead of being kept, and copied by the GC, until the end)
   */
  sent: number[];
  /** bytes it has read so far */
  done: number;
  /** why it ended before answering */
  ended?: Error;
  answer?: Promise<HashResult>;
}

/**
 * Hashing threads started ahead of their work: `feed` hands them files as the scan finds them
 * (each file's path is `root/base/entry.path`), `finish` collects inode id → 16-hex-digit xxh64.
 */
export class HashWorkers {
  private readonly threads: Thread[];
  private onProgress: ((bytes: number) => void) | undefined;
  /** bytes of the files fed so far (what hashing them will read) */
  fedBytes = 0;

  constructor(private readonly root: string, count = 2) {
    const xxhashPath = createRequire(import.meta.url).resolve('xxhash-wasm');
    this.threads = Array.from({ length: count }, () => {
      const t: Thread = { worker: new Worker(WORKER(fileHasher.toString()), { eval: true, workerData: { xxhash: xxhashPath } }), sent: [], done: 0 };
      // Until `finish` waits for it, a thread must not keep the process alive (an analysis that
      // fails early just ends); what ends it meanwhile is kept for `finish`.
      t.worker.unref();
      t.worker.on('error', (err) => (t.ended ??= err));
      t.worker.on('exit', (code) => (t.ended ??= new Error(`hash worker exited with ${code}`)));
      t.worker.on('message', (m: WorkerMessage) => {
        if (m.done === undefined) return;
        t.done = m.done;
        this.onProgress?.(this.threads.reduce((a, x) => a + x.done, 0));
      });
      return t;
    });
  }

  /** End the threads without an answer (the analysis failed). */
  close(): void {
    for (const t of this.threads) void t.worker.terminate();
  }

  /** Hash these files (each inode once over all calls), in inode order, split between the threads. */
  feed(files: readonly Located[]): void {
    if (files.length === 0) return;
    for (const f of files) this.fedBytes += f.entry.size;
    const order = inodeOrder(files);
    const n = Math.max(1, Math.min(this.threads.length, Math.ceil(files.length / 1000)));
    const per = Math.ceil(files.length / n);
    // Small batches go to the thread with least handed to it so far.
    const byLoad = [...this.threads].sort((a, b) => a.sent.length - b.sent.length);
    for (let i = 0; i < n; i++) this.post(byLoad[i]!, files, order.subarray(i * per, (i + 1) * per));
  }

  private post(t: Thread, files: readonly Located[], share: Uint32Array): void {
    const bases = new Map<string, number>();
    const layer = new Uint32Array(share.length);
    const paths = new Array<string>(share.length);
    for (let i = 0; i < share.length; i++) {
      const f = files[share[i]!]!;
      let b = bases.get(f.base);
      if (b === undefined) bases.set(f.base, (b = bases.size));
      layer[i] = b;
      paths[i] = f.entry.path;
      t.sent.push(f.entry.id);
    }
    t.worker.postMessage({ bases: [...bases.keys()].map((b) => `${this.root}/${b}`), layer, paths: paths.join('\0') });
  }

  /** Wait for every file fed so far; unreadable files become warnings. */
  async finish({ log, onProgress }: HashOptions): Promise<Map<number, string>> {
    this.onProgress = onProgress;
    // Each thread's answer goes straight into one map: no [id, hash] pair per file on the way.
    const hashes = new Map<number, string>();
    const failed = await Promise.all(this.threads.map((t) => this.answer(t, hashes)));
    for (const list of failed) for (const [abs, code] of list) log.add(abs, `cannot read for hashing: ${code}`);
    return hashes;
  }

  /** Put the thread's hashes into `into`; answers the files it could not read. */
  private answer(t: Thread, into: Map<number, string>): Promise<HashResult['failed']> {
    if (t.ended) return Promise.reject(t.ended);
    t.worker.ref();
    return new Promise((resolve, reject) => {
      t.worker.on('message', (m: WorkerMessage) => {
        if (m.hashed === undefined) return;
        for (let i = 0; i < t.sent.length; i++) {
          const h = m.hashed.slice(i * HEX, (i + 1) * HEX);
          if (h !== UNREAD) into.set(t.sent[i]!, h);
        }
        resolve(m.failed ?? []);
        void t.worker.terminate();
      });
      t.worker.on('error', reject);
      t.worker.on('exit', (code) => reject(new Error(`hash worker exited with ${code}`)));
      t.worker.postMessage({ end: true });
    });
  }
}

/** `HashWorkers.hash` on threads started now, or (worker: false) on the calling thread. */
export async function hashInodes(root: string, files: readonly Located[], opts: HashOptions & { worker?: boolean; workers?: number }): Promise<Map<number, string>> {
  if (opts.worker !== false && files.length > 0) {
    const threads = new HashWorkers(root, opts.workers);
    threads.feed(files);
    return threads.finish(opts);
  }
  const order = inodeOrder(files);
  const list = Array.from(order, (i): [number, string] => [files[i]!.entry.id, `${root}/${files[i]!.base}/${files[i]!.entry.path}`]);
  const r = hashFiles(list, await xxhash(), fs, opts.onProgress);
  for (const [abs, code] of r.failed) opts.log.add(abs, `cannot read for hashing: ${code}`);
  return new Map(r.hashes);
}
