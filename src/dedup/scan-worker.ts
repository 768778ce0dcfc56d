// A scan thread (started by scan-workers.ts): walks the layer dirs it is sent, one message each,
// and answers each with the layer in its wire shape, its rows moved to the main thread.
import { parentPort } from 'node:worker_threads';
import { WarningLog } from './read-meta.js';
import type { XattrCache } from './scan.js';
import { walkToWire } from './scan-wire.js';
import type { ScanJob, ScanAnswer } from './scan-workers.js';

// Hard-linked files are shared by the layers this thread scans: their xattrs are read once here.
const xattrCache: XattrCache = new Map();

parentPort!.on('message', ({ index, dir, fileXattrs }: ScanJob) => {
  const log = new WarningLog();
  const wire = walkToWire(dir, { log, xattrCache, fileXattrs });
  if (wire) wire.paths = (wire.paths as string[]).join('\0');
  const answer: ScanAnswer = { index, wire, warnings: log.list };
  parentPort!.postMessage(answer, wire ? [wire.rows.buffer, wire.sorted.buffer] : []);
});
