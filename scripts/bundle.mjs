#!/usr/bin/env node
// Bundles ovl-fuse's command and its session worker into dist/bundle/ (run by `npm run build`,
// after tsc). Why: every mount starts a node process and a worker thread, and loading ~80 small
// ES modules one by one (resolve, stat, read, compile each) cost more than the rest of start-up.
// Code splitting keeps one copy of each module shared by the entries (class identity such as
// `instanceof OvlError` holds across them); npm packages stay external (koffi, fuse-native load
// native addons next to their own files). Entry and chunk files sit in one directory, so the
// `new URL('./worker.js', import.meta.url)` and `./watch-start.js` references in the sources
// resolve to the bundled entries.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/bundle/', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: ['src/cli/ovl-fuse.ts', 'src/fuse/session/worker.ts', 'src/fuse/watch-start.ts'],
  absWorkingDir: new URL('..', import.meta.url).pathname,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
});
