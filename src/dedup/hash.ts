// Content hashing for duplicate detection: xxh64 (xxhash-wasm) over distinct inodes, and only over
// inodes whose size collides with another inode's, as jdupes and rdfind do: a file with a unique
// size cannot have a duplicate, so it is never read. Read-only (O_RDONLY|O_NOATIME when allowed,
// src/sys/read-at.ts).
// analyze hashes in worker threads (hash-workers.ts) while the main thread computes the layer
// analysis, which needs no hashes: the two together take the time of the longer one.
import xxhash, { type XXHashAPI } from 'xxhash-wasm';
import { ReadAt } from '../sys/read-at.js';
import { IdSet } from './id-table.js';
import type { Entry } from './types.js';

/**
 * Files worth hashing, one name per inode: regular, non-empty, and sharing their size with at
 * least one other inode. Takes every regular file of the root once; builds no path strings.
 */
export function sizeCollisions<T extends { entry: Entry }>(files: Iterable<T>): T[] {
  const bySize = new Map<number, T[]>();
  const seen = new IdSet();
  for (const f of files) {
    const e = f.entry;
    if (e.type !== 'file' || e.size === 0 || !seen.add(e.id)) continue;
    const group = bySize.get(e.size);
    if (group) group.push(f);
    else bySize.set(e.size, [f]);
  }
  const out: T[] = [];
  for (const group of bySize.values()) if (group.length > 1) out.push(...group);
  return out;
}

/**
 * The same choice made while files come in (layer by layer, as the scan finds them): a file is
 * due for hashing once another inode of its size has been seen, the first of each size together
 * with the second. Over all files, exactly the inodes `sizeCollisions` gives.
 */
export class CollisionStream<T extends { entry: Entry }> {
  /** size → the first file of that size while it is the only one; null once handed out */
  private readonly first = new Map<number, T | null>();
  private readonly seen = new IdSet();

  /** Take `f`; push onto `due` whatever is now due for hashing. */
  add(f: T, due: T[]): void {
    const e = f.entry;
    if (e.type !== 'file' || e.size === 0 || !this.seen.add(e.id)) return;
    const held = this.first.get(e.size);
    if (held === undefined) {
      this.first.set(e.size, f);
      return;
    }
    if (held !== null) {
      due.push(held);
      this.first.set(e.size, null);
    }
    due.push(f);
  }
}

export interface HashResult<K = number> {
  /** [key (an inode id), xxh64] */
  hashes: Array<[K, bigint]>;
  /** [path, errno code] of files that could not be read */
  failed: Array<[string, string]>;
}

/** Hashes one file at a time with one read buffer; `bytes` counts what it has read. */
export interface FileHasher {
  /** xxh64 of file `name` in directory `dir` (no hex: the threads send numbers); throws (with the errno `code`) when it cannot be read */
  file(dir: string, name: string): bigint;
  bytes: number;
}

/** How a FileHasher opens and reads its files (ReadAt; tests may count the calls). */
export type FileReads = Pick<ReadAt, 'open' | 'read' | 'close'>;

/**
 * A hasher made once per thread. One small function per file, called from a plain loop: TurboFan
 * compiles it once per isolate, where a loop over a batch inside one function was compiled again
 * per batch (on-stack replacement, then deopts on each batch's new callback: 9 compiles a run).
 */
export function fileHasher(api: Pick<XXHashAPI, 'h64Raw' | 'create64'>, io: FileReads): FileHasher {
  const CHUNK = 1 << 20;
  const buf = Buffer.allocUnsafe(CHUNK);
  const hasher: FileHasher = {
    bytes: 0,
    file(dir, name) {
      const fd = io.open(dir, name);
      try {
        const first = io.read(fd, buf);
        hasher.bytes += first;
        // Most files fit one read: hash them in one call, no streaming state.
        if (first < CHUNK) return api.h64Raw(buf.subarray(0, first));
        const s = api.create64();
        s.update(buf.subarray(0, first));
        for (let n; (n = io.read(fd, buf)) > 0; hasher.bytes += n) s.update(buf.subarray(0, n));
        return s.digest();
      } finally {
        io.close(fd);
      }
    },
  };
  return hasher;
}

/** Hash every [key, absolute path] on this thread (`fileHasher` in a loop). */
export function hashFiles<K>(
  targets: Array<[K, string]>,
  api: Pick<XXHashAPI, 'h64Raw' | 'create64'>,
  onBytes?: (done: number) => void,
): HashResult<K> {
  const reads = new ReadAt();
  const hasher = fileHasher(api, reads);
  const out: HashResult<K> = { hashes: [], failed: [] };
  try {
    for (const [key, abs] of targets) {
      const k = abs.lastIndexOf('/');
      try {
        out.hashes.push([key, hasher.file(abs.slice(0, k), abs.slice(k + 1))]);
        onBytes?.(hasher.bytes);
      } catch (err) {
        out.failed.push([abs, (err as { code?: string }).code ?? String(err)]);
      }
    }
  } finally {
    reads.release();
  }
  return out;
}

/** 16 hex digits of an xxh64, as reports print it. */
function hexOf(h: bigint): string {
  return h.toString(16).padStart(16, '0');
}

/** A synchronous xxh64-of-a-file function (errors propagate), for verification. */
export async function contentHasher(): Promise<(abs: string) => string> {
  const api = await xxhash();
  return (abs) => {
    const r = hashFiles([['', abs]], api);
    if (r.failed.length > 0) throw Object.assign(new Error(`${abs}: ${r.failed[0]![1]}`), { code: r.failed[0]![1] });
    return hexOf(r.hashes[0]![1]);
  };
}
