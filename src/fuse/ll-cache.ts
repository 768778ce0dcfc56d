// What the kernel may cache, per `-o cache=` mode and per node, on the node-based transport.
//   always: names, attributes and negative entries 60 s, the kernel's dir cache, page caches kept.
//   auto:   as coherent as the kernel's overlay. Names 60 s and dir attributes 60 s (the daemon
//           tells the kernel whatever it changes itself that the kernel cannot know); READDIRPLUS
//           and the kernel's dir cache, file attributes 60 s and negative entries only while the
//           layer watcher runs (it invalidates what changes in the layers); without a watcher,
//           file attributes are asked for on every access, new names on every lookup and listings
//           on every opendir, so in-place lower changes still show at once. A file's page cache
//           is kept across opens while its mtime and size are unchanged.
//   never:  nothing (every access asks the daemon).
import type { CacheMode } from './overlay.js';
import { FOPEN_CACHE_DIR, FOPEN_KEEP_CACHE } from './session/filesystem.js';

const LONG_MS = 60_000;

export class CachePolicy {
  /** Set by the layer watcher while it runs (it sends the invalidations long timeouts need). */
  watching = false;

  constructor(readonly mode: CacheMode) {}

  entryMs(): number {
    return this.mode === 'never' ? 0 : LONG_MS;
  }

  negativeMs(): number {
    if (this.mode === 'always') return LONG_MS;
    return this.mode === 'auto' && this.watching ? LONG_MS : 0;
  }

  attrMs(isDir: boolean): number {
    if (this.mode === 'never') return 0;
    if (this.mode === 'always' || isDir || this.watching) return LONG_MS;
    return 0;
  }

  /** OPENDIR flags: the kernel keeps a listing it read until told (or the dir's mtime moves). */
  opendirFlags(): number {
    if (this.mode === 'always' || (this.mode === 'auto' && this.watching)) return FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
    return 0;
  }

  /** OPEN flags for a file whose mtime/size were `unchanged` since its previous open. */
  openFlags(unchanged: boolean): number {
    if (this.mode === 'always' || (this.mode === 'auto' && unchanged)) return FOPEN_KEEP_CACHE;
    return 0;
  }
}
