// Finding the bundled worker core (worker-core.ts) beside the bundled worker, for worker.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { requireCached } from './code-cache.js';
import type * as WorkerCore from './worker-core.js';

/**
 * The bundled core, when the worker runs from dist/bundle and the mount's filesystem is that
 * bundle's own watch-start.js; else undefined (the caller imports the modules itself). The core
 * then holds its own copy of the filesystem's modules: nothing of them is shared with the worker's
 * ES chunks but startup-marks, whose state is kept on the thread's global for that reason.
 */
export function loadBundledCore(fsModule: string): typeof WorkerCore | undefined {
  if (!import.meta.url.endsWith('.js')) return undefined;
  if (fsModule !== new URL('./watch-start.js', import.meta.url).href) return undefined;
  const file = fileURLToPath(new URL('./worker-core.cjs', import.meta.url));
  if (!existsSync(file)) return undefined;
  return requireCached(file, file.replace(/\.cjs$/, '.cache')).exports as unknown as typeof WorkerCore;
}
