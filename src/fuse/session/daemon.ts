// The main-thread side of a /dev/fuse mount: open the device, mount(2), start the worker that
// serves it, write the notifications it hands over, and report when the mount is live (INIT
// answered) and when it has ended (unmounted: the worker's read said ENODEV). A worker that
// fails takes the mount with it (lazy unmount), so a dead daemon never leaves a hung mount.
import { write } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { closeDevFuse, mountDevFuse, openDevFuse } from '../../sys/devfuse.js';
import { umount } from '../../sys/mount.js';
import { wantedFlags } from '../protocol/index.js';
import type { WorkerData, WorkerMessage } from './worker-data.js';

export interface FsSpec {
  /** Module URL and factory export that build the LowLevelFs inside the worker. */
  module: string;
  export: string;
  args: unknown[];
}

export interface DevMountOptions {
  readonly: boolean;
  fs: FsSpec;
  /** Ask for FUSE passthrough (root only; the filesystem decides per open). */
  passthrough?: boolean;
  debug?: boolean;
}

export interface DevMount {
  /** The FUSE_* flags the kernel granted. */
  granted: bigint;
  /** Resolves when the mount is gone and the worker has ended; rejects if the worker failed. */
  closed: Promise<void>;
}

const MAX_WRITE = 1 << 20;
// Tests run the TypeScript sources; the built CLI runs dist/.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** Mount a FUSE filesystem at `target` served by a worker; resolves once INIT is answered. */
export function mountDev(target: string, o: DevMountOptions): Promise<DevMount> {
  const fd = openDevFuse();
  try {
    mountDevFuse(fd, target, { subtype: 'ovl-fuse', source: 'overlay', readonly: o.readonly });
  } catch (err) {
    closeDevFuse(fd);
    throw err;
  }
  const data: WorkerData = {
    devFd: fd,
    fsModule: o.fs.module,
    fsExport: o.fs.export,
    fsArgs: o.fs.args,
    want: { flags: wantedFlags(o.passthrough ?? process.getuid?.() === 0), maxWrite: MAX_WRITE, maxStackDepth: 1 },
    debug: o.debug ?? process.env.OVL_FUSE_DEBUG !== undefined,
  };
  const worker = new Worker(WORKER_URL, { workerData: data, stdout: false, stderr: false });
  return new Promise((resolveMount, rejectMount) => {
    let live = false;
    let failure: unknown;
    const closed = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'notify') write(fd, m.message, () => undefined);
        else if (!live) {
          live = true;
          resolveMount({ granted: m.flags, closed });
        }
      });
      worker.on('error', (err) => {
        failure = err;
        try {
          umount(target, { lazy: true });
        } catch {
          // Already gone.
        }
      });
      worker.on('exit', () => {
        closeDevFuse(fd);
        if (!live) rejectMount(failure ?? new Error('the FUSE session ended before the mount was live'));
        else if (failure !== undefined) reject(failure);
        else resolve();
      });
    });
  });
}
