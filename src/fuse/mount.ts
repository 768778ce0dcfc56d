// Mount a FUSE overlay: prepare workdir/work, pick the FUSE options that make the mount behave
// like the kernel's (usable by every user with normal permission checks, devices allowed), and
// hand the operation table to fuse-native.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type OverlayConfig, OverlayXattrs, uuidBytes, writesUpperUuid } from '../format/index.js';
import { mountFuse } from '../sys/fuse-native.js';
import { getXattr, hasXattr, setXattr } from '../sys/index.js';
import { overlayOps } from './ops.js';
import { type CacheMode, Overlay } from './overlay.js';

/**
 * FUSE cache options per `-o cache=`. auto (the default) is kernel-like: attributes and sizes are
 * asked for every time (in-place lower changes and hard-link aliases show at once), names once
 * looked up are kept (as the kernel keeps its dentries; 60 s), unknown names are never cached
 * (new lower names show on the next lookup), and a file's page cache survives an open only while
 * its mtime and size are unchanged (libfuse's auto_cache: warm reads at page-cache speed). never keeps nothing; always also trusts attributes
 * for 60 s and keeps page caches (fast, can be stale).
 */
const CACHE_OPTIONS: Record<CacheMode, string[]> = {
  auto: ['entry_timeout=60', 'attr_timeout=0', 'negative_timeout=0', 'auto_cache'],
  never: ['entry_timeout=0', 'attr_timeout=0', 'negative_timeout=0'],
  always: ['entry_timeout=60', 'attr_timeout=60', 'negative_timeout=60', 'kernel_cache'],
};

/** Create `workdir/work` (mode 000, as the kernel does) and clear what a previous run left there. */
export function prepareWorkdir(workdir: string): void {
  const work = join(workdir, 'work');
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0);
  for (const name of readdirSync(work)) rmSync(join(work, name), { recursive: true, force: true });
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
  setXattr(cfg.upperdir, ovl.name('uuid'), uuidBytes(randomUUID()), 'create');
}

export interface MountedOverlay {
  overlay: Overlay;
  /** Resolves when the FUSE loop has ended (the mount is gone). */
  closed: Promise<void>;
}

/** Mount the validated configuration at `merged`; resolves once the mount is live. */
export async function mountOverlayFuse(cfg: OverlayConfig, merged: string, cache: CacheMode): Promise<MountedOverlay> {
  if (cfg.workdir !== undefined && !cfg.readonly) prepareWorkdir(cfg.workdir);
  initUpperUuid(cfg);
  // Modes arrive with the caller's umask applied already; ours must not apply a second time.
  process.umask(0);
  let session: { context(): { uid: number; gid: number } } | undefined;
  const overlay = new Overlay(cfg, cache, () => session?.context() ?? { uid: 0, gid: 0 });
  let onExit!: () => void;
  const closed = new Promise<void>((resolve) => (onExit = resolve));
  const options = [
    'fsname=overlay',
    'subtype=ovl-fuse',
    'allow_other',
    'default_permissions',
    'dev',
    'suid',
    'big_writes',
    ...CACHE_OPTIONS[cache],
    ...(cfg.readonly ? ['ro'] : []),
  ];
  session = await mountFuse(merged, overlayOps(overlay), { options, onExit });
  return { overlay, closed };
}
