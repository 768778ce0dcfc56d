// The session worker's entry when the command runs from its bundle (scripts/bundle.mjs builds this
// as dist/bundle/worker-boot.cjs): a CommonJS script, so the worker's start-up loads no ES module
// (an ES entry costs the worker's boot several ms of CPU more than a CommonJS one, and the worker
// is the longest path of a mount's start-up), and it compiles the session's modules and the
// overlay core from their code cache (worker-core.ts, code-cache.ts) at once: the WorkerData
// arrives meanwhile and waits in the port. It serves only the bundle's own filesystem
// (watch-start.js beside it); prestart.ts starts worker.ts for any other.
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { mark } from '../startup-marks.js';
import { requireCached } from './code-cache.js';
import type * as WorkerCore from './worker-core.js';
import type { WorkerData } from './worker-data.js';

mark('worker-running');
const port = parentPort!;
const file = fileURLToPath(new URL('./worker-core.cjs', import.meta.url));
const loaded = requireCached(file, file.replace(/\.cjs$/, '.cache'));
// A cache V8 refused (damaged, stale, or made under other V8 flags: node run with any V8 option)
// costs the start-up and the first requests their compiling: said, so that tests can tell.
if (loaded.rejected) mark('worker-core-cache-refused');
const core = loaded.exports as unknown as typeof WorkerCore;
mark('worker-core-loaded');
const own = new URL('./watch-start.js', import.meta.url).href;
port.once('message', (data: WorkerData) => {
  if (data.fsModule !== own) throw new Error(`the bundled session worker serves ${own}, not ${data.fsModule}`);
  core.serveSession(port, data, { DevSession: core.DevSession, runLoop: core.runLoop, fsModule: core.watchStart });
});
