import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedDataVersionTag } from 'node:v8';
import { Script } from 'node:vm';
import t, { type Test } from 'tap';
import { type CachedLoad, requireCached, writeCodeCache } from './code-cache.js';

// V8 keeps scripts it compiled in this isolate by source and name, and would take one from there
// without looking at the cache: so each load is of a copy of the file under a name not used before.
let copies = 0;
function load(file: string, cache: string): CachedLoad {
  const copy = file.replace(/\.cjs$/, `-${++copies}.cjs`);
  writeFileSync(copy, readFileSync(file));
  return requireCached(copy, cache);
}

function fixture(t: Test): { file: string; cache: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-code-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'm.cjs');
  // Uses require, module, exports, __filename and __dirname as a CommonJS file may.
  writeFileSync(file, `const { basename } = require('node:path');
exports.twice = (n) => n * 2;
module.exports.name = basename(__filename) + '@' + basename(__dirname);
module.exports.self = this === module.exports;\n`);
  return { file, cache: join(dir, 'm.cache') };
}

t.test('a cache made by writeCodeCache is accepted and the module works', (t) => {
  const { file, cache } = fixture(t);
  const made = writeCodeCache(file, cache);
  t.equal((made.twice as (n: number) => number)(21), 42);
  t.ok(readFileSync(cache).length > 0);
  const got = load(file, cache);
  t.same({ hadCache: got.hadCache, rejected: got.rejected }, { hadCache: true, rejected: false });
  t.equal((got.exports.twice as (n: number) => number)(4), 8);
  t.match(got.exports.name, /^m-\d+\.cjs@ovlkit-code-cache-/);
  t.equal(got.exports.self, true);
  t.end();
});

t.test('a corrupt, truncated or stale cache is not used and the source still loads', (t) => {
  const { file, cache } = fixture(t);
  writeCodeCache(file, cache);
  const good = readFileSync(cache);
  const flipped = Buffer.from(good);
  for (let i = good.length >> 1; i < good.length; i += 7) flipped[i] = flipped[i]! ^ 0xff;
  for (const [what, bytes] of [['garbage', Buffer.from('not a cache')], ['truncated', good.subarray(0, good.length >> 1)], ['flipped', flipped]] as const) {
    writeFileSync(cache, bytes);
    const got = load(file, cache);
    t.same({ hadCache: got.hadCache, rejected: got.rejected }, { hadCache: true, rejected: true }, what);
    t.equal((got.exports.twice as (n: number) => number)(5), 10, what);
  }
  // The source changed after the cache was made, to one of the same length (all V8 itself checks):
  // the old code must not run.
  writeCodeCache(file, cache);
  writeFileSync(file, readFileSync(file, 'utf8').replace('n * 2', 'n * 3'));
  const stale = load(file, cache);
  t.equal(stale.rejected, true);
  t.equal((stale.exports.twice as (n: number) => number)(5), 15);
  t.end();
});

t.test('no cache file: the source loads', (t) => {
  const { file, cache } = fixture(t);
  const got = load(file, cache);
  t.same({ hadCache: got.hadCache, rejected: got.rejected }, { hadCache: false, rejected: false });
  t.equal((got.exports.twice as (n: number) => number)(1), 2);
  t.end();
});

t.test('the cache holds the functions the top level never ran, and V8 is left lazy', (t) => {
  const { file, cache } = fixture(t);
  // A function nobody calls at load: a lazy compile leaves it out of the cache.
  const body = Array.from({ length: 40 }, (_, i) => `  if (x === ${i}) return x * ${i + 1};`).join('\n');
  writeFileSync(file, `exports.later = function (x) {\n${body}\n  return -x;\n};\n`);
  const tag = cachedDataVersionTag();
  writeCodeCache(file, cache);
  // The flags V8 checks a cache against are the ones it had before: a daemon with V8's defaults takes it.
  t.equal(cachedDataVersionTag(), tag);
  const lazy = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`, { filename: file + '.lazy' }).createCachedData();
  t.ok(readFileSync(cache).length > lazy.length + 200, `eager ${readFileSync(cache).length} bytes, lazy ${lazy.length}`);
  const got = load(file, cache);
  t.equal(got.rejected, false);
  t.equal((got.exports.later as (n: number) => number)(3), 12);
  t.end();
});
