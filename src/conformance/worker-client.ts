// The runner's side of the worker: starts it, sends requests with a deadline, and kills it when a
// request does not come back in time (a hung target), so the next scenario gets a fresh worker.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OvlError } from '../errors.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** Distributive Omit, so each request kind keeps its own fields. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

// Under tap the sources run as .ts through a loader that fork() passes on via execArgv.
const workerPath = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url));

/** How long a worker may take to start (node and the sources loading on a loaded machine). */
const START_TIMEOUT_MS = 120_000;

export class WorkerClient {
  private child: ChildProcess | undefined;
  /** Resolves when the current worker has loaded (its first message, id 0). */
  private ready: Promise<void> = Promise.resolve();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): ChildProcess {
    const child = fork(workerPath, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let loaded = () => {};
    this.ready = new Promise<void>((resolve) => (loaded = resolve));
    child.on('message', (m: WorkerReply) => {
      if (m.id === 0) return loaded();
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new OvlError('EIO', `worker: ${m.error}`));
      else p.resolve(m.result);
    });
    child.on('exit', (code, signal) => {
      loaded();
      if (this.child === child) this.child = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.reject(new OvlError('EIO', `worker exited (${signal ?? code}) during a request`));
        this.pending.delete(id);
      }
    });
    this.child = child;
    return child;
  }

  /**
   * Send one request; rejects with ETIMEDOUT (and kills the worker) after `timeoutMs`, counted
   * from when the worker has loaded: starting node is not the target's time.
   */
  async request<T>(req: WithoutId<WorkerRequest>, timeoutMs: number): Promise<T> {
    const child = this.child ?? this.start();
    let startTimer: NodeJS.Timeout | undefined;
    const started = await Promise.race([
      this.ready.then(() => true),
      new Promise<boolean>((resolve) => (startTimer = setTimeout(() => resolve(false), START_TIMEOUT_MS))),
    ]);
    clearTimeout(startTimer);
    if (!started) {
      this.kill();
      throw new OvlError('ETIMEDOUT', `the worker did not start within ${START_TIMEOUT_MS} ms`);
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new OvlError('EIO', 'worker exited before the request');
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.kill();
        reject(new OvlError('ETIMEDOUT', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      child.send({ ...req, id } as WorkerRequest);
    });
  }

  /** Kill the worker at once (it may be stuck in a syscall on a hung mount). */
  kill(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null) child.kill('SIGKILL');
  }

  /** Stop the worker politely at the end of a run. */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.connected) child.disconnect();
  }
}
