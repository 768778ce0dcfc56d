// Loading a CommonJS bundle with a V8 code cache made at build time (scripts/bundle.mjs). Why: the
// session worker spent ~30 ms loading its ES modules (resolve and link each chunk, then compile):
// one CommonJS script compiled from a cache skips most of that. Node 20 has no
// module.enableCompileCache, so the script goes through vm.Script with cachedData, wrapped as
// node wraps a CommonJS file. V8 checks a cache against its own version and flags, but against the
// source only by length, and (release builds) not by checksum: a cache of an edited source of the
// same length would run the old code, and flipped bits would be deserialized as code. So the cache
// file starts with a SHA-256 of the source it was made from and of the cache itself, and one that
// does not match is never given to V8 (hashing both costs well under a millisecond). A stale,
// foreign or corrupt cache is thus not used and the source is compiled as usual: it costs time,
// never a result.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export interface CachedLoad {
  readonly exports: Record<string, unknown>;
  /** Whether a cache was there to try (false: none, or unreadable). */
  readonly hadCache: boolean;
  /** Whether the cache was not used (made from another source, damaged, or refused by V8): compiled from source. */
  readonly rejected: boolean;
}

const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

const MAGIC = Buffer.from('ovl-v8cc');
const HEADER = MAGIC.length + 32;
const seal = (source: string, data: Buffer) => Buffer.concat([MAGIC, createHash('sha256').update(source).update(data).digest()]);

/** The V8 data in `cacheFile` if it was made from `source` and is whole; null if not; undefined if there is none. */
function readCache(cacheFile: string, source: string): Buffer | null | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined; // No cache (or not readable): compile from source.
  }
  const data = bytes.subarray(HEADER);
  return bytes.length > HEADER && bytes.subarray(0, HEADER).equals(seal(source, data)) ? data : null;
}

function run(file: string, source: string, cachedData: Buffer | undefined): { script: Script; exports: Record<string, unknown> } {
  const script = new Script(wrap(source), { filename: file, cachedData });
  const module = { exports: {} as Record<string, unknown> };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { script, exports: module.exports };
}

/** Load the CommonJS file `file` (absolute), compiled with the code cache in `cacheFile` if V8 accepts it. */
export function requireCached(file: string, cacheFile: string): CachedLoad {
  const source = readFileSync(file, 'utf8');
  const cache = readCache(cacheFile, source);
  const { script, exports } = run(file, source, cache ?? undefined);
  return { exports, hadCache: cache !== undefined, rejected: cache === null || (cache !== undefined && script.cachedDataRejected === true) };
}

/**
 * Load `file` and write its code cache to `cacheFile`. Made after the script's top level has run,
 * so the cache also holds the functions that ran then, not only the top level.
 */
export function writeCodeCache(file: string, cacheFile: string): Record<string, unknown> {
  const source = readFileSync(file, 'utf8');
  const { script, exports } = run(file, source, undefined);
  const data = script.createCachedData();
  writeFileSync(cacheFile, Buffer.concat([seal(source, data), data]));
  return exports;
}
