// What convert checks before it writes anything: that every layer of the chosen images was found
// and scanned whole. A layer missing, unreadable in part or named by a bad cache-id would make a
// stack that differs from the legacy root, so that is a UsageError (exit 2) naming the path.
import { join } from 'node:path';
import type { ConvertPlan } from './convert-plan.js';
import { refuseBroken } from './migrate-guard.js';
import type { LayerScan, Store, Warning } from './types.js';

/** The warnings that concern the planned images, in the order analysis found them. */
export function convertBlockers(warnings: readonly Warning[], plan: ConvertPlan, store: Store, scans: Map<string, LayerScan>): Warning[] {
  const dirs = plan.layers.map((id) => store.layers.get(id)!.dir);
  // discover-docker's words for an image whose chain has a layer it could not resolve
  const imageNeeds = plan.images.map(({ image }) => `image ${image.id} needs `);
  const keys = [...dirs, ...warnings.filter((w) => imageNeeds.some((p) => w.reason.startsWith(p))).map((w) => w.path)];
  // A warning at or below such a path (the bad cache-id file of the missing layerdb entry) says why.
  const found = warnings.filter((w) => keys.some((k) => w.path === k || w.path.startsWith(join(k, '/'))));
  const unscanned = plan.layers.filter((id) => !scans.has(id)).map((id) => store.layers.get(id)!)
    .filter((l) => !found.some((w) => w.path === l.dir))
    .map((l) => ({ path: l.dir, reason: `layer ${l.cacheId} could not be scanned` }));
  return [...found, ...unscanned];
}

/** Throws the first blocker as a one-line UsageError (exit 2); returns when there is none. */
export function refuseIncomplete(warnings: readonly Warning[], plan: ConvertPlan, store: Store, scans: Map<string, LayerScan>): void {
  refuseBroken(convertBlockers(warnings, plan, store, scans), 'convert');
}
