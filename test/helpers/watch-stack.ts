// Test fixture for the layer watcher: one lower shared by several mounts, each with its own upper
// (ovl-fuse on the /dev/fuse transport in this process, with given cache and watch modes, or
// kernel overlayfs), all unmounted in teardown before the tree goes. Changes to the layers are
// made by child processes: the daemon runs in this process, and the watcher ignores its own pid.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MountOptions, parseMountOptions, resolveMountOptions } from '../../src/format/index.js';
import { prepareWorkdir } from '../../src/fuse/workdir.js';
import type { CacheMode } from '../../src/fuse/overlay.js';
import { type DevMount, mountDev } from '../../src/fuse/session/daemon.js';
import type { WatchMode } from '../../src/fuse/watch-mode.js';
import { isMounted, mountOverlay, umountSurely } from '../../src/sys/index.js';
import type { Teardowns } from './layers.js';

const factory = new URL('../../src/fuse/watch-start.ts', import.meta.url).href;
// Modes arrive with the caller's umask applied; the worker refuses to start otherwise.
process.umask(0);

export interface Stack {
  root: string;
  lower: string;
  /** Mount points by name, with their uppers (mount is null for a kernel mount). */
  mounts: Map<string, { merged: string; upper: string; work: string; mount: DevMount | null }>;
}

/** A temp tree with a lower filled by `populate`, removed (after every mount) in teardown. */
export function stack(tt: Teardowns, populate: (lower: string) => void): Stack {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-watch-'));
  const lower = join(root, 'lower');
  mkdirSync(lower);
  populate(lower);
  const s: Stack = { root, lower, mounts: new Map() };
  tt.teardown(async () => {
    for (const { merged, mount } of s.mounts.values()) {
      if (isMounted(merged)) await umountSurely(merged);
      await mount?.closed;
    }
    rmSync(root, { recursive: true, force: true });
  });
  return s;
}

/** Fresh merged, upper and work dirs for mount `name`; `prepare` may fill the upper first. */
function dirsFor(s: Stack, name: string): [string, string, string] {
  const dirs = ['m', 'u', 'w'].map((d) => join(s.root, `${name}-${d}`)) as [string, string, string];
  for (const d of dirs) mkdirSync(d);
  return dirs;
}

/**
 * Mount the stack's lower with a fresh upper as `name`: ovl-fuse with these cache and watch
 * modes, plus kernel-syntax `options` (e.g. 'redirect_dir=on'); `prepare(merged)` runs first
 * through a kernel overlay of the same dirs, to give the upper what the kernel writes.
 */
export async function mount(s: Stack, name: string, cache: CacheMode, watch: WatchMode, options = '', prepare?: (m: string) => void): Promise<string> {
  const [merged, upper, work] = dirsFor(s, name);
  const opts = [`lowerdir=${s.lower},upperdir=${upper},workdir=${work}`, options].filter(Boolean).join(',');
  if (prepare) await viaKernel(parseMountOptions(opts), merged, prepare);
  const cfg = resolveMountOptions({ ...parseMountOptions(opts), extra: {} });
  prepareWorkdir(work);
  const m = await mountDev(merged, { readonly: false, fs: { module: factory, export: 'createWatchedOverlayFs', args: [cfg, cache, watch] } });
  s.mounts.set(name, { merged, upper, work, mount: m });
  return merged;
}

/** Mount the stack's lower with a fresh upper as `name` with kernel overlayfs (after `prepare`, as for mount). */
export async function mountKernelStack(s: Stack, name: string, options = '', prepare?: (m: string) => void): Promise<string> {
  const [merged, upper, work] = dirsFor(s, name);
  const opts = parseMountOptions([`lowerdir=${s.lower},upperdir=${upper},workdir=${work}`, options].filter(Boolean).join(','));
  if (prepare) await viaKernel(opts, merged, prepare);
  mountOverlay(opts, merged);
  s.mounts.set(name, { merged, upper, work, mount: null });
  return merged;
}

async function viaKernel(opts: MountOptions, merged: string, prepare: (m: string) => void): Promise<void> {
  mountOverlay(opts, merged);
  try {
    prepare(merged);
  } finally {
    await umountSurely(merged);
  }
}

export { sh } from './scratch.js';
const tick = () => new Promise((r) => setTimeout(r, 10));

/** Whether `seen()` holds within 2 s (asked again every 10 ms; an error counts as not yet). */
export async function becomes(seen: () => boolean): Promise<boolean> {
  const until = Date.now() + 2000;
  for (;;) {
    try {
      if (seen()) return true;
    } catch {
      // Not there yet.
    }
    if (Date.now() > until) return false;
    await tick();
  }
}

export const listing = (dir: string) => readdirSync(dir).sort();
