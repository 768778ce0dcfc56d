// The hashing threads of analyze. They are started before the scan and fed while it runs: after
// each layer, the files whose size another inode already has (the first of each size once a
// second arrives), so hashing overlaps the scan and the layer analysis, and still only size
// collisions are read, as jdupes does. Each batch is split into contiguous shares in inode order
// (on a cold cache that is close to disk order): two outstanding reads keep a disk or a virtual
// disk busier than one, and each thread hashes on its own core.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import xxhash from 'xxhash-wasm';
import { ContentHashes } from './content-hashes.js';
import type { Located } from './duplicates.js';
import { hashFiles, type HashResult } from './hash.js';
import type { WarningLog } from './read-meta.js';
import { inoOf } from './scan-wire.js';
import { LITTLE_ENDIAN } from '../sys/host-order.js';
import { hasEscapedBytes, nameBytes } from '../format/byte-names.js';

export interface HashOptions {
  log: WarningLog;
  onProgress?: (bytes: number) => void;
}

// A job goes in as few values as possible (the layer dirs once, per file its layer's index and its
// path, paths joined by NUL, which no path holds) and the hashes come back, once all jobs are
// done, as one BigUint64Array in the order given (its buffer moved, not copied), with the
// positions of the files that could not be read. Numbers, not hex: no string per file on either
// side. Jobs arrive while the main thread is still scanning; `end` asks for the answer. The joined
// paths go as their UTF-8 bytes, moved: cloning them as a string cost the scanning thread 42–50 ms
// for the bench root's 1.55 M characters (24 jobs, load ~8), encoding and moving them 18–25 ms.
export type HashJob = { bases: string[]; layer: Uint32Array; paths: Uint8Array } | { end: true };

const UTF8 = new TextEncoder();

// Tests run the TypeScript sources; tsc's dist/ has the thread as a module, the bundle (dist/bundle/,
// what bin/ovl-dedup runs) as CommonJS, which a thread starts sooner (scripts/bundle.mjs).
const WORKER_URL = ((): URL => {
  if (import.meta.url.endsWith('.ts')) return new URL('./hash-worker.ts', import.meta.url);
  const bundled = new URL('./hash-worker.cjs', import.meta.url);
  return existsSync(bundled) ? bundled : new URL('./hash-worker.js', import.meta.url);
})();

export interface HashAnswer {
  done?: number;
  /** xxh64 of each file sent, in the order sent (0 where unread) */
  hashed?: BigUint64Array;
  /** positions in `hashed` of the files that could not be read */
  unread?: number[];
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
 * (each file's path is `root/base/entry.path`), `finish` collects inode id → xxh64.
 */
export class HashWorkers {
  private readonly threads: Thread[];
  private onProgress: ((bytes: number) => void) | undefined;
  /** bytes of the files fed so far (what hashing them will read) */
  fedBytes = 0;

  constructor(private readonly root: string, count = 2) {
    this.threads = Array.from({ length: count }, () => {
      const t: Thread = { worker: new Worker(WORKER_URL), sent: [], done: 0 };
      // Until `finish` waits for it, a thread must not keep the process alive (an analysis that
      // fails early just ends); what ends it meanwhile is kept for `finish`.
      t.worker.unref();
      t.worker.on('error', (err) => (t.ended ??= err));
      t.worker.on('exit', (code) => (t.ended ??= new Error(`hash worker exited with ${code}`)));
      t.worker.on('message', (m: HashAnswer) => {
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
    // A fresh ArrayBuffer each (not a slice of node's Buffer pool): it can be moved.
    // Names that are not UTF-8 as their own bytes (src/format/byte-names.ts).
    const all = paths.join('\0');
    const joined = hasEscapedBytes(all) ? new Uint8Array(nameBytes(all)) : UTF8.encode(all);
    const job: HashJob = { bases: [...bases.keys()].map((b) => `${this.root}/${b}`), layer, paths: joined };
    t.worker.postMessage(job, [joined.buffer, layer.buffer]);
  }

  /** Wait for every file fed so far; unreadable files become warnings. */
  async finish({ log, onProgress }: HashOptions): Promise<ContentHashes> {
    this.onProgress = onProgress;
    // Each thread's answer goes straight into one table: no [id, hash] pair per file on the way.
    let maxId = -1;
    for (const t of this.threads) for (const id of t.sent) if (id > maxId) maxId = id;
    const hashes = new ContentHashes(maxId + 1);
    const failed = await Promise.all(this.threads.map((t) => this.answer(t, hashes)));
    for (const list of failed) for (const [abs, code] of list) log.add(abs, `cannot read for hashing: ${code}`);
    return hashes;
  }

  /** Put the thread's hashes into `into`; answers the files it could not read. */
  private answer(t: Thread, into: ContentHashes): Promise<HashResult['failed']> {
    if (t.ended) return Promise.reject(t.ended);
    t.worker.ref();
    return new Promise((resolve, reject) => {
      t.worker.on('message', (m: HashAnswer) => {
        if (m.hashed === undefined) return;
        const words = new Uint32Array(m.hashed.buffer, m.hashed.byteOffset, 2 * m.hashed.length);
        const lo = LITTLE_ENDIAN ? 0 : 1;
        const skip = new Uint8Array(t.sent.length);
        for (const at of m.unread ?? []) skip[at] = 1;
        for (let i = 0; i < t.sent.length; i++) if (skip[i] === 0) into.set(t.sent[i]!, words[2 * i + lo]!, words[2 * i + 1 - lo]!);
        resolve(m.failed ?? []);
        void t.worker.terminate();
      });
      t.worker.on('error', reject);
      t.worker.on('exit', (code) => reject(new Error(`hash worker exited with ${code}`)));
      t.worker.postMessage({ end: true } satisfies HashJob);
    });
  }
}

/** `HashWorkers.hash` on threads started now, or (worker: false) on the calling thread. */
export async function hashInodes(root: string, files: readonly Located[], opts: HashOptions & { worker?: boolean; workers?: number }): Promise<ContentHashes> {
  if (opts.worker !== false && files.length > 0) {
    const threads = new HashWorkers(root, opts.workers);
    threads.feed(files);
    return threads.finish(opts);
  }
  const order = inodeOrder(files);
  const list = Array.from(order, (i): [number, string] => [files[i]!.entry.id, `${root}/${files[i]!.base}/${files[i]!.entry.path}`]);
  const r = hashFiles(list, await xxhash(), opts.onProgress);
  for (const [abs, code] of r.failed) opts.log.add(abs, `cannot read for hashing: ${code}`);
  const hashes = new ContentHashes();
  for (const [id, h] of r.hashes) hashes.set(id, Number(h & 0xffffffffn), Number(h >> 32n));
  return hashes;
}
