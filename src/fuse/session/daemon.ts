// The main-thread side of a /dev/fuse mount: open the device, mount(2), start the worker that
// serves it, write the notifications it hands over, and report when the mount is live (INIT
// answered) and when it has ended (unmounted: the worker's read said ENODEV). A worker that
// fails takes the mount with it (lazy unmount), so a dead daemon never leaves a hung mount.
import { write } from 'node:fs';
import { type DevFuseMountOptions, closeDevFuse, mountDevFuse, openDevFuse, setFuseReadahead } from '../../sys/devfuse.js';
import { raiseFdLimit } from '../../sys/fd-limit.js';
import { umount } from '../../sys/mount.js';
import { wantedFlags } from '../protocol/index.js';
import { mark } from '../startup-marks.js';
import { MOUNT_SUBTYPE } from '../subtype.js';
import { takeWorker } from './prestart.js';
import { DEFAULT_SPIN_US } from './spin.js';
import { GATE_ABANDONED, GATE_BYTES, GATE_MOUNTED, NOTIFY_ACK, type WorkerData, type WorkerMessage } from './worker-data.js';

export interface FsSpec {
  /** Module URL and factory export that build the LowLevelFs inside the worker. */
  module: string;
  export: string;
  args: unknown[];
}

export interface DevMountOptions {
  readonly: boolean;
  /** nosuid, nodev, noexec, nosymfollow for the mount (mount(8)'s flags among the options). */
  vfs?: DevFuseMountOptions['vfs'];
  /** The mount's source (/proc/mounts' first field); DEFAULT_SOURCE when absent. */
  source?: string;
  fs: FsSpec;
  /** Ask for FUSE passthrough (root only; the filesystem decides per open). */
  passthrough?: boolean;
  /** `-o spin`: the loop's longest poll before it sleeps, µs (./spin.ts); DEFAULT_SPIN_US when absent. */
  spinUs?: number;
  debug?: boolean;
  /** A /dev/fuse fd already mounted at `target` (by the detaching parent, see openAndMount). */
  devFd?: number;
}

export interface DevMount {
  /** Resolves with the FUSE_* flags the kernel granted once INIT is answered. */
  ready: Promise<bigint>;
  /** Resolves when the mount is gone and the worker has ended; rejects if the worker failed. */
  closed: Promise<void>;
}

const MAX_WRITE = 1 << 20;
/** A mount's source when none is given, as `mount -t overlay overlay MERGED` is usually written. */
const DEFAULT_SOURCE = 'overlay';
/** Read-ahead of the mount: one READ of max_pages (= MAX_WRITE) per window, not 8 of 128 KiB. */
const READAHEAD_KB = MAX_WRITE >> 10;

/**
 * Mount a FUSE filesystem at `target` served by a worker. Returns as soon as mount(2) has: the
 * mount is live (the kernel queues INIT, and a first access waits for the worker to answer it), so
 * the worker's start-up overlaps with whatever the caller does next.
 */
/** Open /dev/fuse and mount it at `target` as ovl-fuse's fuse filesystem (named `source`); returns the fd. */
export function openAndMount(target: string, readonly: boolean, vfs?: DevFuseMountOptions['vfs'], source = DEFAULT_SOURCE): number {
  const fd = openDevFuse();
  try {
    mountDevFuse(fd, target, { subtype: MOUNT_SUBTYPE, source, readonly, vfs });
  } catch (err) {
    closeDevFuse(fd);
    throw err;
  }
  return fd;
}

export function mountDev(target: string, o: DevMountOptions): DevMount {
  // Every file a client holds open is an fd here: as many as the system lets one process have.
  raiseFdLimit();
  const fd = o.devFd ?? openDevFuse();
  const data: WorkerData = {
    devFd: fd,
    fsModule: o.fs.module,
    fsExport: o.fs.export,
    fsArgs: o.fs.args,
    want: { flags: wantedFlags(o.passthrough ?? process.getuid?.() === 0), maxWrite: MAX_WRITE, maxStackDepth: 1 },
    debug: o.debug ?? process.env.OVL_FUSE_DEBUG !== undefined,
    spinUs: o.spinUs ?? DEFAULT_SPIN_US,
    gate: new SharedArrayBuffer(GATE_BYTES),
  };
  const gate = new Int32Array(data.gate);
  const open = (state: number) => {
    Atomics.store(gate, 0, state);
    Atomics.notify(gate, 0);
  };
  // Started before mount(2) (or earlier still, prestart.ts) so its module loading overlaps with
  // ours; it blocks reading the fd until the kernel sends INIT.
  const worker = takeWorker(o.fs.module);
  worker.postMessage(data);
  try {
    if (o.devFd === undefined) mountDevFuse(fd, target, { subtype: MOUNT_SUBTYPE, source: o.source ?? DEFAULT_SOURCE, readonly: o.readonly, vfs: o.vfs });
  } catch (err) {
    open(GATE_ABANDONED);
    closeDevFuse(fd);
    throw err;
  }
  open(GATE_MOUNTED);
  mark('mounted');
  let failure: unknown;
  let onReady!: (flags: bigint) => void;
  let onNotReady!: (err: unknown) => void;
  const ready = new Promise<bigint>((resolve, reject) => {
    onReady = resolve;
    onNotReady = reject;
  });
  // `closed` carries a failure to whoever waits for the end; `ready` alone must not be unhandled.
  ready.catch(() => undefined);
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'notify') {
      // Written or refused (ENOENT: the kernel dropped the inode), the loop may go on.
      write(fd, m.message, () => {
        if (m.ack === undefined || m.ack <= Atomics.load(gate, NOTIFY_ACK)) return;
        Atomics.store(gate, NOTIFY_ACK, m.ack);
        Atomics.notify(gate, NOTIFY_ACK);
      });
    }
    else {
      mark('ready-message');
      setFuseReadahead(target, READAHEAD_KB);
      onReady(m.flags);
    }
  });
  worker.on('error', (err) => {
    failure = err;
    // A dead daemon must not leave a mount whose every access hangs or fails.
    try {
      umount(target, { lazy: true });
    } catch {
      // Already gone.
    }
  });
  const closed = new Promise<void>((resolve, reject) => {
    worker.on('exit', () => {
      closeDevFuse(fd);
      onNotReady(failure ?? new Error('the FUSE session ended before INIT'));
      if (failure !== undefined) reject(failure);
      else resolve();
    });
  });
  return { ready, closed };
}
