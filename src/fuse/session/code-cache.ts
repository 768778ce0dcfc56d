// Loading a CommonJS bundle with a V8 code cache made at build time (scripts/bundle.mjs). Why: the
// session worker spent ~30 ms loading its ES modules (resolve and link each chunk, then compile):
// one CommonJS script compiled from a cache skips most of that. Node 20 has no
// module.enableCompileCache, so the script goes through vm.Script with cachedData, wrapped as
// node wraps a CommonJS file. V8 checks a cache against its own version and flags, but against the
// source only by length, and (release builds) not by checksum: a cache of an edited source of the
// same length would run the old code, and flipped bits would be deserialized as code. So the cache
// file starts with a CRC-32 of the source it was made from and of the cache itself, and one that
// does not match is never given to V8. A stale, foreign or corrupt cache is thus not used and the
// source is compiled as usual: it costs time, never a result. CRC-32, not a cryptographic hash:
// what it guards against is a damaged file or a source edited in place after the build, not an
// adversary (who could write the source itself), and node:crypto plus SHA-256 of ~230 KB cost the
// worker's start-up ~3.4 ms against ~1.3 ms for node:zlib's crc32 (Node >= 20.15; on an older
// node no cache is made or used).
// import() does not work in such a script (Node 20: a script compiled from a cache has no dynamic
// import callback, even with vm's USE_MAIN_CONTEXT_DEFAULT_LOADER), so code bundled for it loads
// node's modules with require; scripts/bundle.mjs refuses a bundle that still has import().
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';

export interface CachedLoad {
  readonly exports: Record<string, unknown>;
  /** Whether a cache was there to try (false: none, or unreadable). */
  readonly hadCache: boolean;
  /** Whether the cache was not used (made from another source, damaged, or refused by V8): compiled from source. */
  readonly rejected: boolean;
}

const wrap = (source: string) => `(function (exports, require, module, __filename, __dirname) {${source}\n})`;

const MAGIC = Buffer.from('ovl-v8c2');
const HEADER = MAGIC.length + 4;
// Looked up, not imported by name: Node 20 before 20.15 has no zlib.crc32.
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** The header sealing `data` as made from `source` (its bytes); undefined if this node cannot compute one. */
function seal(source: Buffer, data: Buffer): Buffer | undefined {
  if (crc32 === undefined) return undefined;
  const header = Buffer.alloc(HEADER);
  MAGIC.copy(header);
  header.writeUInt32LE(crc32(data, crc32(source)), MAGIC.length);
  return header;
}

/** The V8 data in `cacheFile` if it was made from `source` and is whole; null if not; undefined if there is none. */
function readCache(cacheFile: string, source: Buffer): Buffer | null | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(cacheFile);
  } catch {
    return undefined; // No cache (or not readable): compile from source.
  }
  const data = bytes.subarray(HEADER);
  const expected = bytes.length > HEADER ? seal(source, data) : undefined;
  return expected !== undefined && bytes.subarray(0, HEADER).equals(expected) ? data : null;
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
  const source = readFileSync(file);
  const cache = readCache(cacheFile, source);
  const { script, exports } = run(file, source.toString('utf8'), cache ?? undefined);
  return { exports, hadCache: cache !== undefined, rejected: cache === null || (cache !== undefined && script.cachedDataRejected === true) };
}

/**
 * Load `file` and write its code cache to `cacheFile`, with every function of the script compiled:
 * V8 compiles a function when it is first called, and a cache made after only the top level ran
 * holds the bytecode of just the functions run so far. A daemon then compiles the rest of its
 * request paths one by one while it serves its first requests (in a 200-copy-up mount that was
 * 6-13 % of the daemon's own instructions, callgrind). Compiled with V8's --no-lazy for that one
 * script and --lazy again before the cache is made: the flag is not part of what the cache is
 * checked against then, and a daemon that loads it runs with V8's defaults. Loading the larger
 * cache costs the worker's start-up nothing measurable (its CPU to the mount being live, 15 runs).
 */
export function writeCodeCache(file: string, cacheFile: string): Record<string, unknown> {
  const source = readFileSync(file);
  setFlagsFromString('--no-lazy');
  let loaded: ReturnType<typeof run>;
  try {
    loaded = run(file, source.toString('utf8'), undefined);
  } finally {
    setFlagsFromString('--lazy');
  }
  const data = loaded.script.createCachedData();
  const header = seal(source, data);
  if (header === undefined) rmSync(cacheFile, { force: true });
  else writeFileSync(cacheFile, Buffer.concat([header, data]));
  return loaded.exports;
}
