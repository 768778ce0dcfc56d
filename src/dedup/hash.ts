// Content hashing for duplicate detection: xxh64 (xxhash-wasm) over distinct inodes, and only over
// inodes whose size collides with another inode's, as jdupes and rdfind do: a file with a unique
// size cannot have a duplicate, so it is never read. Read-only (O_RDONLY|O_NOATIME when allowed).
// analyze hashes in a worker thread while the main thread computes the layer analysis, which needs
// no hashes: the two together take the time of the longer one on a 2-core machine.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import xxhash, { type XXHashAPI } from 'xxhash-wasm';
import type { Located } from './duplicates.js';
import type { WarningLog } from './read-meta.js';
import type { Entry } from './types.js';

/**
 * Files worth hashing, one name per inode: regular, non-empty, and sharing their size with at
 * least one other inode. Takes every regular file of the root once; builds no path strings.
 */
export function sizeCollisions<T extends { entry: Entry }>(files: Iterable<T>): T[] {
  const bySize = new Map<number, T[]>();
  const seen = new Set<number>();
  for (const f of files) {
    const e = f.entry;
    if (e.type !== 'file' || e.size === 0 || seen.has(e.id)) continue;
    seen.add(e.id);
    const group = bySize.get(e.size);
    if (group) group.push(f);
    else bySize.set(e.size, [f]);
  }
  const out: T[] = [];
  for (const group of bySize.values()) if (group.length > 1) out.push(...group);
  return out;
}

export interface HashResult<K = number> {
  /** [key (an inode id), 16-hex-digit xxh64] */
  hashes: Array<[K, string]>;
  /** [path, errno code] of files that could not be read */
  failed: Array<[string, string]>;
}

/**
 * Hash every [key, path]. Self-contained on purpose (no imports, no closure): its source is also
 * the hashing worker's code, so the worker and the in-process path cannot drift apart.
 */
export function hashFiles<K>(
  targets: Array<[K, string]>,
  api: Pick<XXHashAPI, 'h64Raw' | 'create64'>,
  io: Pick<typeof fs, 'openSync' | 'readSync' | 'closeSync' | 'constants'>,
  onBytes?: (done: number) => void,
): HashResult<K> {
  const CHUNK = 1 << 20;
  const buf = Buffer.allocUnsafe(CHUNK);
  const hex = (h: bigint): string => h.toString(16).padStart(16, '0');
  const open = (abs: string): number => {
    try {
      // O_NOATIME keeps analyze from touching atimes (allowed for the owner or root).
      return io.openSync(abs, io.constants.O_RDONLY | io.constants.O_NOATIME);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EPERM') throw err;
      return io.openSync(abs, io.constants.O_RDONLY);
    }
  };
  const out: HashResult<K> = { hashes: [], failed: [] };
  let done = 0;
  for (const [inode, abs] of targets) {
    let fd = -1;
    try {
      fd = open(abs);
      const first = io.readSync(fd, buf, 0, CHUNK, null);
      done += first;
      let h: string;
      // Most files fit one read: hash them in one call, no streaming state.
      if (first < CHUNK) h = hex(api.h64Raw(buf.subarray(0, first)));
      else {
        const s = api.create64();
        s.update(buf.subarray(0, first));
        for (let n; (n = io.readSync(fd, buf, 0, CHUNK, null)) > 0; done += n) s.update(buf.subarray(0, n));
        h = hex(s.digest());
      }
      out.hashes.push([inode, h]);
      onBytes?.(done);
    } catch (err) {
      out.failed.push([abs, (err as { code?: string }).code ?? String(err)]);
    } finally {
      if (fd >= 0) io.closeSync(fd);
    }
  }
  return out;
}

/** A synchronous xxh64-of-a-file function (errors propagate), for verification. */
export async function contentHasher(): Promise<(abs: string) => string> {
  const api = await xxhash();
  return (abs) => {
    const r = hashFiles([['', abs]], api, fs);
    if (r.failed.length > 0) throw Object.assign(new Error(`${abs}: ${r.failed[0]![1]}`), { code: r.failed[0]![1] });
    return r.hashes[0]![1];
  };
}

export interface HashOptions {
  log: WarningLog;
  onProgress?: (bytes: number) => void;
  /** hash in worker threads (default); false hashes on the calling thread */
  worker?: boolean;
  /** how many worker threads (default 2) */
  workers?: number;
}

// Targets go in and hashes come back as one string each (inode ids and hashes joined by '\n', paths
// by NUL, which no path holds): cloning two strings costs nothing next to 118k [id, path] pairs.
const WORKER = (fn: string): string => `
const { parentPort, workerData } = require('node:worker_threads');
const hashFiles = ${fn};
require(workerData.xxhash)().then((api) => {
  const paths = workerData.paths.split('\\0');
  const targets = workerData.ids.split('\\n').map((id, i) => [id, paths[i]]);
  let next = 0;
  const r = hashFiles(targets, api, require('node:fs'), (done) => {
    if (done >= next) { parentPort.postMessage({ done }); next = done + (4 << 20); }
  });
  parentPort.postMessage({ hashed: r.hashes.map((h) => h[0] + ' ' + h[1]).join('\\n'), failed: r.failed });
});
`;

interface WorkerMessage {
  done?: number;
  hashed?: string;
  failed?: Array<[string, string]>;
}

function inWorker(targets: Array<[number, string]>, onProgress?: (bytes: number) => void): Promise<HashResult> {
  const xxhashPath = createRequire(import.meta.url).resolve('xxhash-wasm');
  const workerData = { ids: targets.map((t) => t[0]).join('\n'), paths: targets.map((t) => t[1]).join('\0'), xxhash: xxhashPath };
  const w = new Worker(WORKER(hashFiles.toString()), { eval: true, workerData });
  return new Promise((resolve, reject) => {
    w.on('message', (m: WorkerMessage) => {
      if (m.hashed !== undefined) {
        const hashes = m.hashed === '' ? [] : m.hashed.split('\n').map((l): [number, string] => [Number(l.slice(0, l.indexOf(' '))), l.slice(l.indexOf(' ') + 1)]);
        resolve({ hashes, failed: m.failed ?? [] });
        void w.terminate();
      } else if (m.done !== undefined) onProgress?.(m.done);
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`hash worker exited with ${code}`)));
  });
}

/** `${dev}:${ino}` → ino, for ordering reads the way the inodes lie on disk. */
function inoOf(inode: string): number {
  return Number(inode.slice(inode.indexOf(':') + 1)) || 0;
}

/**
 * inode id → 16-hex-digit xxh64 of the content, for each file given (one name per inode: the
 * file's path is `root/base/entry.path`). Unreadable files are warnings. Files are read in inode
 * order (on a cold cache that is close to disk order) by `workers` threads at once, each taking a
 * contiguous half: two outstanding reads keep a disk or a virtual disk busier than one, and each
 * thread hashes on its own core.
 */
export async function hashInodes(root: string, files: readonly Located[], { log, onProgress, worker = true, workers = 2 }: HashOptions): Promise<Map<number, string>> {
  // The inode numbers are parsed once, not in the comparator (that was 1.2 s of 118k files' sort).
  const keyed = files.map((f) => ({ ino: inoOf(f.entry.inode), f }));
  keyed.sort((a, b) => a.ino - b.ino);
  const list = keyed.map(({ f }): [number, string] => [f.entry.id, `${root}/${f.base}/${f.entry.path}`]);
  let r: HashResult;
  if (!worker || list.length === 0) r = hashFiles(list, await xxhash(), fs, onProgress);
  else {
    const n = Math.max(1, Math.min(workers, Math.ceil(list.length / 1000)));
    const per = Math.ceil(list.length / n);
    const done = new Array<number>(n).fill(0);
    const parts = await Promise.all(Array.from({ length: n }, (_, i) =>
      inWorker(list.slice(i * per, (i + 1) * per), (b) => {
        done[i] = b;
        onProgress?.(done.reduce((a, x) => a + x, 0));
      })));
    r = { hashes: parts.flatMap((p) => p.hashes), failed: parts.flatMap((p) => p.failed) };
  }
  for (const [abs, code] of r.failed) log.add(abs, `cannot read for hashing: ${code}`);
  return new Map(r.hashes);
}
