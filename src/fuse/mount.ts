// Mount a FUSE overlay: prepare workdir/work, then hand the overlay to one of two transports.
// `dev` (the kernel's protocol on /dev/fuse, served by a worker thread running the node-based
// core) or `fuse-native` (libfuse 2.9, path based; kept as a second transport under the same
// semantics and as a differential check). Each is loaded only when chosen: start-up time counts.
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { OvlError, UsageError } from '../errors.js';
import { ACL_ACCESS, ACL_DEFAULT, type OverlayConfig, OverlayXattrs, uuidBytes, writesUpperUuid } from '../format/index.js';
import { getXattr, hasXattr, removeXattr, setXattr } from '../sys/xattr.js';
import type { CacheMode } from './overlay.js';
import { mark } from './startup-marks.js';
import type { WatchMode } from './watch-mode.js';
import { holdDirs } from '../sys/hold-dir.js';
import { type Covered, coveredDirs } from './layers.js';
import { refuseRemoteUpperWithoutFeatures } from './upper-features.js';

export type Transport = 'dev' | 'fuse-native';
export const TRANSPORTS: readonly Transport[] = ['dev', 'fuse-native'];
/** The transport used when `-o transport=` is not given. */
export const DEFAULT_TRANSPORT: Transport = 'dev';

/**
 * Why workdir/work cannot be set up, for the errors a user can fix in the workdir (exit 2). The
 * kernel mounts read-only then (a dmesg warning); ovl-fuse refuses instead (docs/fuse.md).
 */
const WORKDIR_FAULTS: Record<string, string> = {
  EPERM: 'operation not permitted (immutable or append-only?)',
  EACCES: 'permission denied',
  EROFS: 'read-only filesystem',
  ENOENT: 'the directory no longer exists (deleted?)',
};

/**
 * Create `workdir/work` and clear what a previous run left there; then, as ovl_workdir_create, no
 * POSIX ACL on it (one inherited from the workdir's default ACL, or set on an old work/) and mode
 * 000: whiteouts, copies and new objects built there must not inherit anything the kernel's do not.
 */
export function prepareWorkdir(workdir: string): void {
  const work = join(workdir, 'work');
  try {
    makeWorkDir(work);
    for (const acl of [ACL_DEFAULT, ACL_ACCESS]) removeAcl(work, acl);
    chmodSync(work, 0);
    for (const name of readdirSync(work)) rmSync(join(work, name), { recursive: true, force: true });
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    const why = `workdir ${workdir}: cannot set up work/: ${WORKDIR_FAULTS[code] ?? (err as Error).message} (${code})`;
    throw code in WORKDIR_FAULTS ? new UsageError(why, { code, cause: err }) : new OvlError(code, why, { cause: err });
  }
}

/** removexattr of an ACL; none there (ENODATA) or none on this filesystem (EOPNOTSUPP) is fine, as for the kernel. */
function removeAcl(dir: string, name: string): void {
  try {
    removeXattr(dir, name);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENODATA' && code !== 'EOPNOTSUPP') throw err;
  }
}

/**
 * mkdir `work`, not recursive: node's recursive mkdir retries ENOENT for ever under a workdir that
 * was deleted. What is there and not a directory is removed first, as ovl_workdir_create does.
 */
function makeWorkDir(work: string): void {
  try {
    mkdirSync(work);
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
  }
  if (lstatSync(work).isDirectory()) return;
  unlinkSync(work);
  mkdirSync(work);
}

/**
 * Store a persistent uuid on the upper root as the kernel does at mount (uuid=auto/on, see
 * format/uuid.ts): the same on-disk state, so either overlay can mount the other's upper next.
 */
export function initUpperUuid(cfg: OverlayConfig): void {
  if (cfg.upperdir === undefined) return;
  const ovl = new OverlayXattrs(cfg.userxattr);
  const existing = getXattr(cfg.upperdir, ovl.name('uuid'));
  if (!writesUpperUuid(cfg.uuid, existing, existing === null && hasXattr(cfg.upperdir, ovl.name('impure')))) return;
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

/** What the kernel does to the layers at mount time, before the first request: workdir/work and the upper's uuid. */
function prepareLayers(cfg: OverlayConfig): void {
  if (cfg.workdir !== undefined && !cfg.readonly) {
    prepareWorkdir(cfg.workdir);
    if (cfg.upperdir !== undefined) refuseRemoteUpperWithoutFeatures(cfg.upperdir, join(cfg.workdir, 'work'), new OverlayXattrs(cfg.userxattr));
  }
  initUpperUuid(cfg);
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
export async function premountDev(cfg: OverlayConfig, merged: string): Promise<{ fd: number; covered: Covered }> {
  prepareLayers(cfg);
  const covered = holdCovered(cfg, merged);
  const { openAndMount } = await import('./session/daemon.js');
  return { fd: openAndMount(merged, cfg.readonly, cfg.vfs), covered };
}

/** Before mount(2) at `merged`: an fd on each dir of the configuration it will cover (layers.ts coveredDirs). */
function holdCovered(cfg: OverlayConfig, merged: string): Covered {
  return holdDirs(coveredDirs([cfg.upperdir, cfg.workdir, ...cfg.lowerdirs, ...cfg.datadirs], merged));
}

/**
 * Mount the validated configuration at `merged`; resolves once the mount is live. With `devFd`
 * (transport dev only) the mount exists already (premountDev) and is only served. `watch`
 * (transport dev only; default: on for cache=auto) runs the layer watcher (watch-start.ts).
 * `passthrough` (transport dev only) lets upper files' data go straight to the upper file
 * (ll-passthrough.ts) where the kernel grants FUSE_PASSTHROUGH. `covered`: with `devFd`, the fds
 * premountDev opened on the layer dirs its mount covers (opened here otherwise, before the mount).
 * `beforeMount` runs last before mount(2), after the layers are prepared: it may throw to give up
 * (a signal that came meanwhile), and no mount is then made.
 */
export async function mountOverlayFuse(
  cfg: OverlayConfig,
  merged: string,
  cache: CacheMode,
  transport: Transport = DEFAULT_TRANSPORT,
  devFd?: number,
  watch?: WatchMode,
  passthrough = true,
  covered?: Covered,
  beforeMount: () => void = () => undefined,
): Promise<MountedOverlay> {
  if (devFd === undefined) prepareLayers(cfg);
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
    ...(passthrough ? {} : { passthrough: false }),
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
