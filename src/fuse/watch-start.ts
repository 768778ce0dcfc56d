// Starting the layer watcher inside a session (`-o watch=on`, watch-mode.ts): the fanotify fd is
// served by the session loop between requests, so invalidations never race a request in the same
// directory. Without the means to watch (not root, a filesystem fanotify cannot mark) the mount
// still comes up: one warning on stderr, and the cache policy falls back to asking the layers
// every time (OverlayFs.setWatching(false)).
import type { OverlayConfig } from '../format/index.js';
import { type OverlayFs, createOverlayFs } from './lowlevel.js';
import type { Covered } from './layers.js';
import type { CacheMode } from './overlay.js';
import type { Session } from './session/filesystem.js';
import { LayerWatcher } from './watch.js';
import { type WatchMode, watchMode } from './watch-mode.js';
import { type InvalStats, type InvalTarget, applyChanges } from './watch-inval.js';

export interface RunningWatch {
  readonly stats: InvalStats & { events: number; changes: number };
  close(): void;
}

export interface StartWatchOptions {
  /** where the one-line warnings go (stderr by default) */
  warn?: (line: string) => void;
  /** the work dir, whose own changes (copy-ups in the making) are not watched */
  work?: string | null;
  /** per root, a path reaching it where the overlay's own mount covers its path (submounts.ts), or null */
  vias?: ReadonlyArray<string | null>;
}

/**
 * Start watching `roots` (the layer roots, top first, upper included; `opts.work`, the work dir, is
 * not watched) and hand the fd to the session loop. Returns null, after one line on `opts.warn`, when
 * fanotify is not available to us.
 */
export function startWatch(
  roots: readonly string[],
  session: Pick<Session, 'watchFd' | 'invalInode' | 'invalEntry'>,
  target: Omit<InvalTarget, 'session'> & Partial<Pick<InvalTarget, 'session'>>,
  opts: StartWatchOptions = {},
): RunningWatch | null {
  const { warn = (line: string) => process.stderr.write(line + '\n'), work = null, vias } = opts;
  let watcher: LayerWatcher;
  try {
    watcher = LayerWatcher.start(roots, { work, ...(vias === undefined ? {} : { vias }) });
  } catch (err) {
    const code = (err as { code?: string }).code ?? String(err);
    const why = code === 'EPERM' ? 'fanotify filesystem marks need root (CAP_SYS_ADMIN)' : `fanotify: ${(err as Error).message ?? code}`;
    warn(`ovl-fuse: warning: not watching the layers for outside changes (${why}); attributes are asked for on every access instead`);
    return null;
  }
  const stats = { entries: 0, inodes: 0, fullDrops: 0, events: 0, changes: 0 };
  // The target may tell the kernel its own way (LlCore.watchSession); else through `session`.
  const full: InvalTarget = { session, ...target };
  session.watchFd(watcher.fd, () => {
    let batch;
    try {
      batch = watcher.drain();
    } catch (err) {
      // Never a reason to fail a request or end the mount: treat it as lost events.
      warn(`ovl-fuse: warning: reading layer events failed (${(err as Error).message}); dropping every cache`);
      batch = { changes: [], overflow: true, events: 0, foreign: 0 };
    }
    stats.events += batch.events;
    stats.changes += batch.changes.length;
    applyChanges(batch, full, stats);
    return batch.foreign > 0;
  });
  // Close only once the session loop has ended: it polls the fd until then.
  return { stats, close: () => watcher.close() };
}

/**
 * The overlay filesystem as the session worker builds it (FsSpec: this module,
 * `createWatchedOverlayFs`, args [cfg, cache, watch, mount point, covered dirs]): with `watch` on (by default for
 * cache=auto), the watcher starts when the session does (before the kernel holds any node) and
 * ends with it.
 */
export function createWatchedOverlayFs(cfg: OverlayConfig, cache: CacheMode, watch?: WatchMode, mountPoint?: string, covered?: Covered): OverlayFs {
  const fs = createOverlayFs(cfg, cache, { ...(mountPoint === undefined ? {} : { mountPoint }), ...(covered === undefined ? {} : { covered }) });
  if (watchMode(watch, cache) === 'off') return fs;
  let running: RunningWatch | null = null;
  const { init, destroy } = fs;
  fs.init = (session) => {
    init.call(fs, session);
    running = startWatch(
      fs.ovl.stack.all.map((l) => l.root),
      session,
      fs.watchTarget(),
      { work: fs.ovl.stack.work, vias: fs.ovl.stack.all.map((l) => l.covered) },
    );
    fs.setWatching(running !== null);
  };
  fs.destroy = () => {
    destroy.call(fs);
    running?.close();
    running = null;
  };
  return fs;
}
