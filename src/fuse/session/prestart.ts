// The session worker, started as early as the daemon knows it will need one. A worker's start-up
// (a new V8 isolate, node's bootstrap, then the session loop's modules) is the largest single
// part of a mount's start-up; started before the daemon validates, prepares the layers and loads
// libc, it proceeds on the other CPU meanwhile. It waits for its WorkerData in a message
// (worker.ts), so it can start before that data exists. Nothing here loads koffi.
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { mark } from '../startup-marks.js';

// Tests run the TypeScript sources; the built CLI runs dist/.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);
// Run from the bundle (dist/bundle), the worker for the bundle's own filesystem is the CommonJS
// worker-boot.cjs beside this file (faster to start, see worker-boot.ts); it serves only that one.
const BOOT_URL = new URL('./worker-boot.cjs', import.meta.url);
const BOOT_FS = new URL('./watch-start.js', import.meta.url).href;
const hasBoot = !import.meta.url.endsWith('.ts') && existsSync(BOOT_URL);

interface Early {
  worker: Worker;
  boot: boolean;
  failure?: unknown;
}
// Kept on the thread's global, not in this module: bin/ovl-fuse starts the worker from the bundle's
// ovl-fuse-boot.cjs, and the command that takes it (ovl-fuse-cli.cjs) holds a second copy of this module.
const EARLY = Symbol.for('ovl-fuse.prestart.early');
const slot = globalThis as { [EARLY]?: Early };

function newWorker(boot: boolean): Worker {
  // trackUnmanagedFds off: the worker lives as long as the process, and fds it gets from libc
  // (open_by_handle_at) are closed with node:fs, which would warn on every close. stdout and
  // stderr: true, so that node does not pipe them to ours right here (making process.stdout and
  // two pipes cost the main thread ~4 ms before the worker even starts); takeWorker pipes them.
  return new Worker(boot ? BOOT_URL : WORKER_URL, { stdout: true, stderr: true, trackUnmanagedFds: false });
}

/** The worker's output, buffered until now, goes to ours from here on. */
function piped(worker: Worker): Worker {
  worker.stdout.pipe(process.stdout);
  worker.stderr.pipe(process.stderr);
  return worker;
}

/**
 * Start the worker now. Unreferenced until taken, so a command that fails validation still exits;
 * a failure to start is kept for takeWorker.
 */
export function prestartWorker(): void {
  if (slot[EARLY]) return;
  const e: Early = { worker: newWorker(hasBoot), boot: hasBoot };
  e.worker.on('error', (err) => (e.failure ??= err));
  e.worker.unref();
  slot[EARLY] = e;
  mark('worker-spawned');
}

/**
 * bin/ovl-fuse's early start, before the CLI is even loaded, from the raw arguments: only for a
 * foreground daemon that will be on the dev transport, as far as that can be told without parsing
 * (the CLI decides exactly later; a worker started in vain is unreferenced and ends with the process).
 */
export function prestartForArgs(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  mark('bin-running');
  if (wantsWorker(argv, env)) prestartWorker();
}

/** Whether these arguments look like a foreground mount on the dev transport. */
export function wantsWorker(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (argv[0] === 'umount' || !argv.some((a) => a === '-f' || a === '--foreground')) return false;
  if (argv.some((a) => a === '-h' || a === '--help' || a === '-V' || a === '--version')) return false;
  const named = argv.flatMap((a) => [...a.matchAll(/(?:^|,)transport=([^,]*)/g)].map((m) => m[1]));
  return (named.at(-1) ?? env.OVL_FUSE_TRANSPORT ?? 'dev') === 'dev';
}

/**
 * A worker for a mount whose filesystem is `fsModule`: the prestarted one (referenced again) if it
 * can serve it, else a new one; throws what killed a prestarted one.
 */
export function takeWorker(fsModule: string): Worker {
  const boot = hasBoot && fsModule === BOOT_FS;
  const e = slot[EARLY];
  slot[EARLY] = undefined;
  if (e && e.boot !== boot) void e.worker.terminate();
  if (!e || e.boot !== boot) return piped(newWorker(boot));
  if (e.failure !== undefined) throw e.failure;
  e.worker.ref();
  return piped(e.worker);
}
