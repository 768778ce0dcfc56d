// The fuse-native transport (libfuse 2.9's high-level API, path based): the overlay as fuse-native
// operations, with the FUSE options that make the mount behave like the kernel's. Loaded only when
// `-o transport=fuse-native` asks for it, so the default transport never pays for the addon.
import type { OverlayConfig } from '../format/index.js';
import { mountFuse } from '../sys/fuse-native.js';
import { withTypeChecks } from './native-types.js';
import { latin1Names } from './ops-latin1-names.js';
import { overlayOps } from './ops.js';
import { type CacheMode, Overlay } from './overlay.js';
import { umount } from '../sys/index.js';
import { raiseFdLimit } from '../sys/fd-limit.js';
import { setNosymfollow } from '../sys/mount-clone.js';
import type { Covered } from './layers.js';
import { placeLayers } from './submounts.js';
import { MOUNT_SUBTYPE } from './subtype.js';

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

/** Mount through fuse-native; resolves once the mount is live, `closed` when its loop ends. */
export async function mountNative(cfg: OverlayConfig, merged: string, cache: CacheMode, covered: Covered = {}): Promise<{ overlay: Overlay; closed: Promise<void> }> {
  let session: { context(): { uid: number; gid: number } } | undefined;
  const overlay = new Overlay(cfg, cache, () => session?.context() ?? { uid: 0, gid: 0 });
  raiseFdLimit(); // an fd per layer and per file clients hold open (src/sys/fd-limit.ts)
  placeLayers(overlay.stack, merged, covered);
  let onExit!: () => void;
  const closed = new Promise<void>((resolve) => (onExit = resolve));
  const options = [
    // libfuse splits its options at commas and reads a backslash as escaping the next character.
    `fsname=${(cfg.source ?? 'overlay').replace(/[\\,]/g, (c) => `\\${c}`)}`,
    `subtype=${MOUNT_SUBTYPE}`,
    'allow_other',
    // libfuse 2 refuses a mount point that holds names; the kernel's overlay (and the dev transport) mounts there.
    'nonempty',
    'default_permissions',
    // libfuse 2.9 adds nosuid,nodev unless told otherwise; the kernel's overlay honours both.
    cfg.vfs.nodev ? 'nodev' : 'dev',
    cfg.vfs.nosuid ? 'nosuid' : 'suid',
    ...(cfg.vfs.noexec ? ['noexec'] : []),
    'big_writes',
    ...CACHE_OPTIONS[cache],
    ...(cfg.readonly ? ['ro'] : []),
  ];
  // Names as bytes at the outermost edge: everything inside sees them as the core holds them.
  session = await mountFuse(merged, latin1Names(withTypeChecks(overlay, overlayOps(overlay))), { options, onExit });
  if (cfg.vfs.nosymfollow) {
    try {
      setNosymfollow(merged);
    } catch (err) {
      // Not a mount without the flag the user asked for.
      umount(merged, { lazy: true });
      throw err;
    }
  }
  return { overlay, closed };
}
