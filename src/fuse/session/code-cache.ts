// Loading a CommonJS bundle with a V8 code cache made at build time (scripts/bundle.mjs). Why: the
// session worker spent ~30 ms loading its ES modules (resolve and link each chunk, then compile):
// one CommonJS script compiled from a cache skips most of that. Node 20 has no
// module.enableCompileCache, so the script goes through vm.Script with cachedData, wrapped as
// node wraps a CommonJS file. V8 checks the cache against the source, its own version and flags,
// and a checksum: a stale, foreign or corrupt cache is rejected and the source is compiled as
// usual, so a bad cache costs time, never a wrong result.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

export interface CachedLoad {
  readonly exports: Record<string, unknown>;
  /** Whether a cache was there to try (false: none, or unreadable). */
  readonly hadCache: boolean;
  /** Whether V8 refused the cache (the source was compiled without it). */
  readonly rejected: boolean;
}

const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

function readCache(cacheFile: string): Buffer | undefined {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined; // No cache (or not readable): compile from source.
  }
}

function run(file: string, cachedData: Buffer | undefined): { script: Script; exports: Record<string, unknown> } {
  const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const module = { exports: {} as Record<string, unknown> };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { script, exports: module.exports };
}

/** Load the CommonJS file `file` (absolute), compiled with the code cache in `cacheFile` if V8 accepts it. */
export function requireCached(file: string, cacheFile: string): CachedLoad {
  const cachedData = readCache(cacheFile);
  const { script, exports } = run(file, cachedData);
  return { exports, hadCache: cachedData !== undefined, rejected: cachedData !== undefined && script.cachedDataRejected === true };
}

/**
 * Load `file` and write its code cache to `cacheFile`. Made after the script's top level has run,
 * so the cache also holds the functions that ran then, not only the top level.
 */
export function writeCodeCache(file: string, cacheFile: string): Record<string, unknown> {
  const { script, exports } = run(file, undefined);
  writeFileSync(cacheFile, script.createCachedData());
  return exports;
}
