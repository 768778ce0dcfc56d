// `-o watch=on|off`: whether ovl-fuse watches its layers for changes made outside the mount
// (watch-start.ts). Its own module, so the CLI can check the option without loading the core.
import { UsageError } from '../errors.js';
import type { CacheMode } from './overlay.js';

export type WatchMode = 'on' | 'off';

/**
 * `-o watch=` (the value of the extra option, undefined when absent). The default follows the
 * cache mode: auto keeps names and attributes and relies on the watcher to stay current; never
 * caches nothing the watcher could refresh; always is the explicit choice of speed over freshness.
 */
export function watchMode(value: string | true | undefined, cache: CacheMode): WatchMode {
  if (value === undefined) return cache === 'auto' ? 'on' : 'off';
  if (value === 'on' || value === 'off') return value;
  throw new UsageError(`bad mount option watch=${value === true ? '' : value}: expected on or off`);
}
