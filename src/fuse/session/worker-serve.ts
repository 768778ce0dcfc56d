// What the session worker does once it has its WorkerData and the session's modules, whichever
// entry started it (worker.ts: ES modules; worker-boot.ts: the code-cached CommonJS core): build
// the filesystem, wait until mount(2) has attached the fd, then run the loop.
import type { MessagePort } from 'node:worker_threads';
import type { DevSession } from './dev-session.js';
import type { LowLevelFs } from './filesystem.js';
import type { runLoop } from './loop.js';
import { mark } from '../startup-marks.js';
import { GATE_MOUNTED, GATE_WAIT, NOTIFY_ACK, type WorkerData } from './worker-data.js';

export interface SessionModules {
  DevSession: typeof DevSession;
  runLoop: typeof runLoop;
  /** The module named by WorkerData.fsModule. */
  fsModule: unknown;
}

/** Serve the mount described by `data` on this thread until it is unmounted. */
export function serveSession(port: MessagePort, data: WorkerData, mods: SessionModules): void {
  const factory = (mods.fsModule as Record<string, unknown>)[data.fsExport] as ((...args: unknown[]) => LowLevelFs) | undefined;
  if (typeof factory !== 'function') throw new TypeError(`${data.fsModule} has no export ${data.fsExport}`);
  const fs = factory(...data.fsArgs);
  mark('worker-fs-built');
  // Reading the fd before mount(2) has attached it would fail (EPERM): wait for the main thread.
  const gate = new Int32Array(data.gate);
  Atomics.wait(gate, 0, GATE_WAIT);
  if (Atomics.load(gate, 0) !== GATE_MOUNTED) process.exit(0);
  mark('worker-gate-open');
  let acks = 0;
  const session = new mods.DevSession(data.devFd, (message, waitMs) => {
    // Copied, not transferred: a transfer detaches the buffer, and the first detach in a thread
    // invalidates V8's ArrayBufferDetaching protector, deoptimising all compiled code that touches typed arrays.
    if (!waitMs) return port.postMessage({ type: 'notify', message });
    const ack = ++acks;
    port.postMessage({ type: 'notify', message, ack });
    waitForAck(gate, ack, waitMs);
  });
  mods.runLoop(data.devFd, fs, session, {
    want: data.want,
    debug: data.debug,
    spinUs: data.spinUs,
    onReady: (init) => port.postMessage({ type: 'ready', flags: init.flags, minor: init.minor }),
  });
}

/** Wait until the main thread has written notification `ack` (slot NOTIFY_ACK), at most `ms`. */
function waitForAck(gate: Int32Array, ack: number, ms: number): void {
  const deadline = performance.now() + ms;
  for (let seen = Atomics.load(gate, NOTIFY_ACK); seen < ack; seen = Atomics.load(gate, NOTIFY_ACK)) {
    const left = deadline - performance.now();
    if (left <= 0) return;
    Atomics.wait(gate, NOTIFY_ACK, seen, left);
  }
}
