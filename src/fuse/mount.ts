// Mount a FUSE overlay: prepare workdir/work, then hand the overlay to one of two transports.
// `dev` (the kernel's protocol on /dev/fuse, served by a worker thread running the node-based
// core) or `fuse-native` (libfuse 2.9, path based; kept as a second transport under the same
// semantics and as a differential check). Each is loaded only when chosen: start-up time counts.
import { closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type OverlayConfig, OverlayXattrs, uuidBytes, writesUpperUuid } from '../format/index.js';
import { getXattr, setXattr } from '../sys/xattr.js';
import { prepareWorkdir } from './workdir.js';
import type { CacheMode } from './overlay.js';
import { mark } from './startup-marks.js';
import type { WatchMode } from './watch-mode.js';
import { holdDirs } from '../sys/hold-dir.js';
import { type Covered, coveredDirs } from './layers.js';
import { mountHolding } from './submounts.js';
import { refuseRemoteUpperWithoutFeatures, refuseUpperWithoutXattrs } from './upper-features.js';
import { claimUpperAndWork } from './in-use.js';
import { DEFAULT_SPIN_US } from './session/spin.js';

export type Transport = 'dev' | 'fuse-native';
export const TRANSPORTS: readonly Transport[] = ['dev', 'fuse-native'];
/** The transport used when `-o transport=` is not given. */
export const DEFAULT_TRANSPORT: Transport = 'dev';

/**
 * Store a persistent uuid on the upper root as the kernel does at mount (uuid=auto/on, see
 * format/uuid.ts): the same on-disk state, so either overlay can mount the other's upper next.
 */
export function initUpperUuid(cfg: OverlayConfig): void {
  if (cfg.upperdir === undefined) return;
  const ovl = new OverlayXattrs(cfg.userxattr);
  const existing = getXattr(cfg.upperdir, ovl.name('uuid'));
  // An old overlay's upper: `impure` with a value (ovl_init_uuid_xattr reads its length; an empty one is new).
  const old = existing === null && (getXattr(cfg.upperdir, ovl.name('impure'))?.length ?? 0) > 0;
  if (!writesUpperUuid(cfg.uuid, existing, old)) return;
  try {
    setXattr(cfg.upperdir, ovl.name('uuid'), uuidBytes(randomUuid()), 'create');
  } catch {
    // An upper that takes no xattr (immutable: EPERM): the kernel warns and falls back to
    // uuid=null, which stores nothing and, as for our core, encodes origins as uuid=on does.
  }
}

/**
 * A random (version 4) uuid from the kernel, as the overlay's own uuid_gen does: node:crypto's
 * randomUUID would load ~15 of node's crypto modules into every daemon for these 16 bytes.
 */
function randomUuid(): string {
  return readFileSync('/proc/sys/kernel/random/uuid', 'utf8').trim();
}

/**
 * What the kernel does to the layers at mount time, before the first request: the upper and work
 * dirs claimed (in-use.ts: a warning when another overlay uses one), workdir/work (also for `ro`,
 * which may be remounted rw) and the upper's uuid. Returns the configuration to mount: read-only
 * for good, after one line on `warn`, when work/ cannot be made, as the kernel's "failed to
 * create directory …; mounting read-only"; and the fds holding the claims, to keep open while
 * the mount is served.
 */
function prepareLayers(cfg: OverlayConfig, warn = (line: string) => process.stderr.write(line + '\n')): { cfg: OverlayConfig; claims: number[] } {
  const claims = claimUpperAndWork(cfg, warn);
  let mounted = cfg;
  if (cfg.upperdir !== undefined && cfg.workdir !== undefined) {
    refuseUpperWithoutXattrs(cfg.upperdir, cfg.workdir, new OverlayXattrs(cfg.userxattr));
    const fault = prepareWorkdir(cfg.workdir, cfg.volatile);
    if (fault === null) refuseRemoteUpperWithoutFeatures(cfg.upperdir, join(cfg.workdir, 'work'), new OverlayXattrs(cfg.userxattr));
    else {
      warn(`ovl-fuse: warning: workdir ${cfg.workdir}: ${fault}; mounting read-only`);
      mounted = { ...cfg, readonly: true, writable: false };
    }
  }
  initUpperUuid(mounted);
  return { cfg: mounted, claims };
}

export interface MountedOverlay {
  /** Resolves when the FUSE session has ended (the mount is gone); rejects if the daemon failed. */
  closed: Promise<void>;
  /** Resolves once the daemon serves requests (dev: INIT answered; fuse-native: at once). */
  ready: Promise<unknown>;
}

/**
 * The first half of a `dev` mount, for a detaching command: prepare the workdir and mount(2) a
 * /dev/fuse fd at `merged`. The mount is live at once; whoever gets the fd (mountOverlayFuse's
 * `devFd`, in the daemon) serves it, and a first access waits until it does.
 */
export async function premountDev(given: OverlayConfig, merged: string): Promise<{ fd: number; covered: Covered; cfg: OverlayConfig; claims: number[] }> {
  const { cfg, claims } = prepareLayers(given);
  const covered = holdCovered(cfg, merged);
  const { openAndMount } = await import('./session/daemon.js');
  return { fd: openAndMount(merged, cfg.readonly, cfg.vfs, cfg.source), covered, cfg, claims };
}

/**
 * Before mount(2) at `merged`: an fd on each dir of the configuration it will cover (layers.ts
 * coveredDirs); and with a covered upper or work dir, on the root of the mount holding both when
 * it is covered too, from which the daemon clones them (submounts.ts placeLayers).
 */
function holdCovered(cfg: OverlayConfig, merged: string): Covered {
  const dirs = coveredDirs([cfg.upperdir, cfg.workdir, ...cfg.lowerdirs, ...cfg.datadirs], merged);
  const { upperdir, workdir } = cfg;
  if (upperdir !== undefined && (dirs.includes(upperdir) || (workdir !== undefined && dirs.includes(workdir)))) {
    const holder = mountHolding(upperdir);
    if (holder !== null) dirs.push(...coveredDirs([holder], merged));
  }
  return holdDirs(dirs);
}

/** The dev transport's `-o passthrough` and `-o spin`. */
export interface SessionTuning {
  passthrough: boolean;
  /** µs; 0: the loop sleeps at once. */
  spinUs: number;
}

export const DEFAULT_TUNING: SessionTuning = { passthrough: true, spinUs: DEFAULT_SPIN_US };

/**
 * Mount the validated configuration at `merged`; resolves once the mount is live. With `devFd`
 * (transport dev only) the mount exists already (premountDev) and is only served. `watch`
 * (transport dev only; default: on for cache=auto) runs the layer watcher (watch-start.ts).
 * `tuning` (transport dev only): `passthrough` lets upper files' data go straight to the upper file
 * (ll-passthrough.ts) where the kernel grants FUSE_PASSTHROUGH; `spinUs` is how long the loop may
 * poll before it sleeps (session/spin.ts). `covered`: with `devFd`, the fds
 * premountDev opened on the layer dirs its mount covers (opened here otherwise, before the mount).
 * `beforeMount` runs last before mount(2), after the layers are prepared: it may throw to give up
 * (a signal that came meanwhile), and no mount is then made. With `devFd`, `given` is the
 * configuration premountDev returned.
 */
export async function mountOverlayFuse(
  given: OverlayConfig,
  merged: string,
  cache: CacheMode,
  transport: Transport = DEFAULT_TRANSPORT,
  devFd?: number,
  watch?: WatchMode,
  tuning: SessionTuning = DEFAULT_TUNING,
  covered?: Covered,
  beforeMount: () => void = () => undefined,
): Promise<MountedOverlay> {
  // With devFd the command that mounted prepared the layers, and handed its claims along as fds.
  const { cfg, claims } = devFd === undefined ? prepareLayers(given) : { cfg: given, claims: [] };
  try {
    const mounted = await serve(cfg, merged, cache, transport, devFd, watch, tuning, covered, beforeMount);
    return { closed: mounted.closed.finally(() => release(claims)), ready: mounted.ready };
  } catch (err) {
    release(claims);
    throw err;
  }
}

/** Let go of the claims on the upper and work dirs: a process may mount them again. */
function release(claims: number[]): void {
  for (const fd of claims.splice(0)) closeSync(fd);
}

/** mountOverlayFuse once the layers are prepared. */
async function serve(
  cfg: OverlayConfig,
  merged: string,
  cache: CacheMode,
  transport: Transport,
  devFd: number | undefined,
  watch: WatchMode | undefined,
  tuning: SessionTuning,
  covered: Covered | undefined,
  beforeMount: () => void,
): Promise<MountedOverlay> {
  // Before mount(2): afterwards these paths lead into the overlay itself.
  const held = covered ?? holdCovered(cfg, merged);
  mark('layers-prepared');
  // Modes arrive with the caller's umask applied already; ours must not apply a second time.
  // Process-wide, so set here: the dev transport's worker cannot set it.
  process.umask(0);
  if (transport === 'fuse-native') {
    const { mountNative } = await import('./mount-native.js');
    await signalsDelivered();
    beforeMount();
    const m = await mountNative(cfg, merged, cache, held);
    return { closed: m.closed, ready: Promise.resolve() };
  }
  const { mountDev } = await import('./session/daemon.js');
  mark('daemon-loaded');
  // The node core with its layer watcher (watch-start.ts builds lowlevel's OverlayFs).
  const core = new URL(import.meta.url.endsWith('.ts') ? './watch-start.ts' : './watch-start.js', import.meta.url).href;
  if (devFd === undefined) {
    await signalsDelivered();
    beforeMount();
  }
  const mounted = mountDev(merged, {
    readonly: cfg.readonly,
    vfs: cfg.vfs,
    ...(cfg.source === undefined ? {} : { source: cfg.source }),
    ...(tuning.passthrough ? {} : { passthrough: false }),
    spinUs: tuning.spinUs,
    ...(devFd === undefined ? {} : { devFd }),
    fs: { module: core, export: 'createWatchedOverlayFs', args: [cfg, cache, watch, merged, held] },
  });
  return { closed: mounted.closed, ready: mounted.ready };
}

/**
 * One turn of the event loop, so that a signal that came during the synchronous preparation of
 * the layers has reached its handler before `beforeMount` asks. An `await import()` would not do
 * it in the bundle, where it becomes a resolved promise (microtasks only).
 */
function signalsDelivered(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
