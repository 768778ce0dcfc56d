// The worker thread that owns the filesystem and runs the session loop. A blocked JS thread runs
// no timers or signal handlers, so the loop blocks here while the main thread stays free for
// signals, `ovl-fuse umount`, writing notifications and exiting. The filesystem is built here from
// a module and factory named in its WorkerData, so nothing of it has to cross threads. That data
// comes as the first message, not as workerData: the worker may start before it exists (prestart.ts).
import { parentPort } from 'node:worker_threads';
import type { LowLevelFs } from './filesystem.js';
import { mark } from '../startup-marks.js';
import { loadBundledCore } from './worker-core-load.js';
import { GATE_MOUNTED, GATE_WAIT, type WorkerData } from './worker-data.js';

mark('worker-running');
const port = parentPort!;
const data = await new Promise<WorkerData>((resolve) => port.once('message', resolve));
// Loading is most of the worker's start-up. Built (dist/bundle), this program's own filesystem and
// the session come as one CommonJS file with a code cache (worker-core.ts); otherwise the modules
// load as one batch, not one after the other: started early (bin/ovl-fuse), the worker has its
// data by now.
const core = loadBundledCore(data.fsModule);
const [{ DevSession }, { runLoop }, loaded] = core
  ? [core, core, core.watchStart]
  : await Promise.all([import('./dev-session.js'), import('./loop.js'), import(data.fsModule)]);
const mod = loaded as Record<string, (...args: unknown[]) => LowLevelFs>;
const factory = mod[data.fsExport];
mark('worker-core-loaded');
if (typeof factory !== 'function') throw new TypeError(`${data.fsModule} has no export ${data.fsExport}`);
const fs = factory(...data.fsArgs);
mark('worker-fs-built');
// Reading the fd before mount(2) has attached it would fail (EPERM): wait for the main thread.
const gate = new Int32Array(data.gate);
Atomics.wait(gate, 0, GATE_WAIT);
if (Atomics.load(gate, 0) !== GATE_MOUNTED) process.exit(0);
mark('worker-gate-open');
const session = new DevSession(data.devFd, (message) => port.postMessage({ type: 'notify', message }, [message.buffer as ArrayBuffer]));
runLoop(data.devFd, fs, session, {
  want: data.want,
  debug: data.debug,
  onReady: (init) => port.postMessage({ type: 'ready', flags: init.flags, minor: init.minor }),
});
