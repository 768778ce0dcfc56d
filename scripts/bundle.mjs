#!/usr/bin/env node
// Bundles ovl-fuse's command and its session worker into dist/bundle/ (run by `npm run build`,
// after tsc). Why: every mount starts a node process and a worker thread, and loading ~80 small
// ES modules one by one (resolve, stat, read, compile each) cost more than the rest of start-up.
// Code splitting keeps one copy of each module shared by the entries (class identity such as
// `instanceof OvlError` holds across them); npm packages stay external (koffi, fuse-native load
// native addons next to their own files). Entry and chunk files sit in one directory, so the
// `new URL('./worker.js', import.meta.url)` and `./watch-start.js` references in the sources
// resolve to the bundled entries. prestart.js is an entry so that bin/ovl-fuse can start the
// session worker before it loads the CLI (its state is in a chunk the CLI shares).
//
// A rebuild must not break mounts made meanwhile (ovl-check and test suites mount hundreds of
// times, and one was running while its tree was rebuilt: every mount then failed with "daemon
// exited before the mount was live"). So each build goes to a directory of its own and
// dist/bundle, a symlink, is switched to it with one rename(2). A daemon that started on the
// previous build keeps loading that build's chunks (node resolves the symlink to the real path
// once), so the previous two builds are kept.
import { existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url).pathname;
const name = `bundle-${Date.now().toString(36)}-${process.pid}`;
// What every build below shares: one bundle per entry set, for node 20, npm packages external.
const common = {
  absWorkingDir: new URL('..', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};
await build({
  ...common,
  entryPoints: ['src/cli/ovl-fuse.ts', 'src/fuse/session/worker.ts', 'src/fuse/watch-start.ts', 'src/fuse/session/prestart.ts'],
  outdir: dist + name,
  splitting: true,
  format: 'esm',
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
});
// The session worker's core once more, as one CommonJS file with a V8 code cache (see
// src/fuse/session/code-cache.ts: ~30 ms of ES module loading was most of the worker's start-up),
// and the worker's entry for it, worker-boot.cjs (CommonJS too: a worker with an ES entry starts
// slower). Likewise the command on the main thread: ovl-fuse-boot.cjs (bin/ovl-fuse's entry)
// starts the worker and loads ovl-fuse-cli.cjs from its cache. All sit beside the ES entries, so
// URLs made relative to import.meta.url stay right.
const cjs = [
  ['src/fuse/session/worker-core.ts', 'worker-core.cjs', true],
  ['src/fuse/session/worker-boot.ts', 'worker-boot.cjs', false],
  ['src/cli/ovl-fuse-main.ts', 'ovl-fuse-cli.cjs', true],
  ['src/cli/ovl-fuse-boot.ts', 'ovl-fuse-boot.cjs', false],
  // ovl-dedup's hash thread (src/dedup/hash-workers.ts starts two per analyze): as CommonJS it
  // starts on ~20 ms less CPU than as an ES module (6 starts each, with koffi and xxhash-wasm).
  ['src/dedup/hash-worker.ts', 'hash-worker.cjs', false],
];
for (const [entry, out] of cjs) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile: dist + name + '/' + out,
    banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { 'import.meta.url': '__import_meta_url' },
    format: 'cjs',
  });
}
// ovl-dedup (bin/ovl-dedup's entry) and its scan thread, each as one ES file beside ovl-fuse's:
// as ~60 ES modules the command spent ~100 ms resolving and loading them before discovery began,
// and the scan thread ~80 ms before its first layer (measured 2026-12-02). ES, not CommonJS with a
// code cache: convert and migrate load execa (ES only) with import(), which a cached script lacks.
// A build of its own, so ovl-fuse's entries and chunks stay as they are.
await build({
  ...common,
  entryPoints: { 'ovl-dedup': 'src/cli/ovl-dedup.ts', 'scan-worker': 'src/dedup/scan-worker.ts' },
  outdir: dist + name,
  format: 'esm',
});
// The caches are made in a worker thread, so that running a bundle's top level (the core sets the
// umask on a main thread) leaves this build alone.
for (const [, out] of cjs.filter(([, , cached]) => cached)) {
  // A script compiled from a code cache has no import() in Node 20 (it throws
  // ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING when called): better a failed build than failed mounts.
  const at = /(?<![\w$.])import\(/.exec(readFileSync(dist + name + '/' + out, 'utf8'));
  if (at) throw new Error(`${out}: import() at offset ${at.index} cannot run from a code cache; use require`);
  await new Promise((resolve, reject) => {
    const file = dist + name + '/' + out;
    const code = `import(${JSON.stringify(dist + 'fuse/session/code-cache.js')})
      .then((m) => m.writeCodeCache(${JSON.stringify(file)}, ${JSON.stringify(file.replace(/\.cjs$/, '.cache'))}));`;
    new Worker(code, { eval: true }).on('error', reject).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`code cache of ${out}: exit ${c}`))));
  });
}
// A plain directory from an older build: replaced once (rename cannot put a link over it).
if (existsSync(dist + 'bundle') && !lstatSync(dist + 'bundle').isSymbolicLink()) rmSync(dist + 'bundle', { recursive: true });
symlinkSync(name, dist + name + '.link');
renameSync(dist + name + '.link', dist + 'bundle');
// Ordered by the build time in the name, not by mtime: a copy of dist/ (cp without -p, as a test's
// private checkout makes) gives every build the same mtime, and the one just linked was then pruned.
const builds = readdirSync(dist)
  .map((n) => ({ n, m: /^bundle-([0-9a-z]+)-\d+$/.exec(n) }))
  .filter(({ n, m }) => m !== null && n !== name)
  .map(({ n, m }) => ({ n, t: parseInt(m[1], 36) }))
  .sort((a, b) => b.t - a.t);
for (const { n } of builds.slice(2)) rmSync(dist + n, { recursive: true, force: true });
