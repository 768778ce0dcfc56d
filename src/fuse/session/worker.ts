// The worker thread that owns the filesystem and runs the session loop. A blocked JS thread runs
// no timers or signal handlers, so the loop blocks here while the main thread stays free for
// signals, `ovl-fuse umount`, writing notifications and exiting. The filesystem is built here from
// a module and factory named in its WorkerData, so nothing of it has to cross threads. That data
// comes as the first message, not as workerData: the worker may start before it exists (prestart.ts).
// This is the entry for the sources, dist/ and any other filesystem module; the bundled command's
// own mounts start worker-boot.ts instead, which loads the same modules faster.
import { parentPort } from 'node:worker_threads';
import { mark } from '../startup-marks.js';
import type { WorkerData } from './worker-data.js';
import { serveSession } from './worker-serve.js';

mark('worker-running');
const port = parentPort!;
const data = await new Promise<WorkerData>((resolve) => port.once('message', resolve));
// One batch, not one after the other: started early (bin/ovl-fuse), the worker has its data by now.
const [{ DevSession }, { runLoop }, fsModule] = await Promise.all([import('./dev-session.js'), import('./loop.js'), import(data.fsModule)]);
mark('worker-core-loaded');
serveSession(port, data, { DevSession, runLoop, fsModule });
