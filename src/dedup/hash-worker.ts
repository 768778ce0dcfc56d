// A hashing thread (started by hash-workers.ts): hashes the files of each job it is sent, in the
// order sent, and on `end` answers once with all their xxh64s in one BigUint64Array (its buffer
// moved) and the positions and errors of the files it could not read.
import { parentPort } from 'node:worker_threads';
import xxhash from 'xxhash-wasm';
import { decodeName } from '../format/byte-names.js';
import { ReadAt } from '../sys/read-at.js';
import { fileHasher, type FileHasher } from './hash.js';
import type { HashAnswer, HashJob } from './hash-workers.js';

const reads = new ReadAt();
let hasher: FileHasher;
const ready = xxhash().then((api) => {
  hasher = fileHasher(api, reads);
});
const jobs: BigUint64Array[] = [];
let count = 0;
const failed: Array<[string, string]> = [];
const unread: number[] = [];
let next = 0;

// One function for every job's files (compiled once), taking values of the same types each time;
// what runs rarely (progress, failures) is outside its loop, so that it does not deoptimize it.
function hashJob(bases: string[], layer: Uint32Array, paths: string[]): BigUint64Array {
  const mine = new BigUint64Array(paths.length);
  for (let i = 0; i < paths.length; i += 1024) {
    hashRange(bases, layer, paths, mine, i, Math.min(paths.length, i + 1024));
    if (hasher.bytes >= next) progress();
  }
  count += paths.length;
  // The directory fd kept for the next file: not past the job.
  reads.release();
  return mine;
}

/** Files `from`..`to` of a job, each opened relative to its directory (src/sys/read-at.ts). */
function hashRange(bases: string[], layer: Uint32Array, paths: string[], mine: BigUint64Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const base = bases[layer[i]!]!;
    const path = paths[i]!;
    const k = path.lastIndexOf('/');
    try {
      mine[i] = k < 0 ? hasher.file(base, path) : hasher.file(`${base}/${path.slice(0, k)}`, path.slice(k + 1));
    } catch (err) {
      fail(`${base}/${path}`, err, count + i);
    }
  }
}

function fail(abs: string, err: unknown, at: number): void {
  failed.push([abs, (err as { code?: string }).code ?? String(err)]);
  unread.push(at);
}

function progress(): void {
  parentPort!.postMessage({ done: hasher.bytes } satisfies HashAnswer);
  next = hasher.bytes + (4 << 20);
}

function answer(): void {
  const hashed = new BigUint64Array(count);
  let at = 0;
  for (const j of jobs) {
    hashed.set(j, at);
    at += j.length;
  }
  parentPort!.postMessage({ hashed, unread, failed } satisfies HashAnswer, [hashed.buffer]);
}

let queue = ready;
parentPort!.on('message', (job: HashJob) => {
  queue = queue.then(() => {
    if ('end' in job) answer();
    // Buffer's decoding keeps a leading U+FEFF (TextDecoder's default would drop it from the first
    // path); decodeName keeps the bytes of a name that is not UTF-8 (NUL, the separator, is never escaped).
    else jobs.push(hashJob(job.bases, job.layer, decodeName(Buffer.from(job.paths.buffer, job.paths.byteOffset, job.paths.length)).split('\0')));
  });
});
