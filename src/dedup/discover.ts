// Discover: a data root → the stores it holds, each with images resolved to ordered layer chains.
// Docker roots (/var/lib/docker) may hold both `overlay` and `overlay2`; a containers-storage root
// (/var/lib/containers/storage) holds `overlay-layers/` and `overlay-images/`.
import { join } from 'node:path';
import { discoverDockerStore } from './discover-docker.js';
import { discoverContainersStorage } from './discover-cstorage.js';
import { WarningLog, isDir } from './read-meta.js';
import type { Discovery, LayerRef, Store } from './types.js';

/** Break parent loops (a corrupt layerdb could make one) so every walk down a chain ends. */
function breakLoops(store: Store, log: WarningLog): void {
  for (const start of store.layers.values()) {
    const seen = new Set<string>([start.cacheId]);
    let layer: LayerRef | undefined = start;
    while (layer && layer.parent) {
      if (seen.has(layer.parent)) {
        log.add(layer.dir, `layer parent loop through ${layer.parent}; chain cut here`);
        layer.parent = '';
        break;
      }
      seen.add(layer.parent);
      layer = store.layers.get(layer.parent);
    }
  }
}

export interface DiscoverOptions {
  /**
   * Leave out a legacy store's containers that `migrate --in-place` moved into overlay2 (listed in
   * the overlay2 store), instead of reporting them with missing layers: what a report wants;
   * migrate itself compares both stores' containers, so it keeps them.
   */
  skipMovedContainers?: boolean;
}

export function discover(root: string, { skipMovedContainers = false }: DiscoverOptions = {}): Discovery {
  const log = new WarningLog();
  const stores: Store[] = [];
  if (!isDir(root)) log.add(root, 'not a directory');
  for (const driver of ['overlay', 'overlay2'] as const) {
    const store = discoverDockerStore(root, driver, log, skipMovedContainers);
    if (store) stores.push(store);
  }
  if (isDir(join(root, 'overlay-layers'))) {
    const store = discoverContainersStorage(root, log);
    if (store) stores.push(store);
  }
  for (const store of stores) breakLoops(store, log);
  return { root, stores, warnings: log.list };
}

/** The layers of one image's chain, bottom → top (only layers the store knows). */
export function chainOf(store: Store, cacheIds: readonly string[]): LayerRef[] {
  return cacheIds.map((id) => store.layers.get(id)).filter((l): l is LayerRef => l !== undefined);
}
