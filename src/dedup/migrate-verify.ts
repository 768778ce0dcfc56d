// Checking a migrated (or staged) overlay2 store against the legacy one before anything legacy is
// touched: the same images (IDs, names, layers by chain ID and cache ID), the same containers and
// layers, no warnings from reading it as dockerd's overlay2 would, and every image's stack mounted
// read-only (kernel overlayfs) equal to the legacy root/ of its top layer, entry by entry.
import { join } from 'node:path';
import { discoverDockerStore } from './discover-docker.js';
import { WarningLog } from './read-meta.js';
import type { Store } from './types.js';
import { verifyStack, type VerifyResult } from './verify.js';

export interface StoreCheck {
  problems: string[];
  stacks: VerifyResult[];
}

function imageKey(store: Store, layers: readonly string[]): string {
  return layers.map((id) => `${store.layers.get(id)?.chainId ?? '?'}=${id}`).join(',');
}

/** Differences in what the two stores list, as readable lines. */
export function compareStores(legacy: Store, migrated: Store): string[] {
  const problems: string[] = [];
  const byId = new Map(migrated.images.map((i) => [i.id, i]));
  for (const img of legacy.images) {
    const m = byId.get(img.id);
    if (!m) problems.push(`image ${img.id} missing`);
    else if (m.names.join(',') !== img.names.join(',')) problems.push(`image ${img.id}: names ${m.names.join(',')} ≠ ${img.names.join(',')}`);
    else if (imageKey(migrated, m.layers) !== imageKey(legacy, img.layers)) problems.push(`image ${img.id}: layers differ`);
  }
  if (migrated.images.length !== legacy.images.length) problems.push(`${migrated.images.length} images, legacy has ${legacy.images.length}`);
  const ctrs = (s: Store) => s.containers.map((c) => `${c.id}:${c.initLayer}:${c.rwLayer}:${c.imageTop}`).sort().join(' ');
  if (ctrs(migrated) !== ctrs(legacy)) problems.push('containers or their layers differ');
  return problems;
}

/**
 * Read `root` (a data root, or the staging dir that mirrors one) as an overlay2 store and compare it
 * with `legacy`. `pending` are layers whose diff arrives only at commit (renamed container uppers):
 * their missing diff and dangling short link are expected.
 */
export async function checkMigrated(root: string, legacy: Store, pending: ReadonlySet<string> = new Set(), scratch?: string, ignoredFlags = 0): Promise<StoreCheck> {
  const log = new WarningLog();
  const store = discoverDockerStore(root, 'overlay2', log);
  if (!store) return { problems: [`${root}: no overlay2 store`], stacks: [] };
  const expected = (w: { path: string; reason: string }) => [...pending].some((id) => w.path.includes(`/${id}/`) || w.reason.endsWith(`../${id}/diff`));
  const problems = log.list.filter((w) => !expected(w)).map((w) => `${w.path}: ${w.reason}`);
  problems.push(...compareStores(legacy, store));
  if (store.orphans.length > 0) problems.push(`unreferenced layer dirs: ${store.orphans.join(', ')}`);
  const stacks: VerifyResult[] = [];
  for (const img of store.images) {
    const lowers = img.layers.slice().reverse().map((id) => join(store.path, id, 'diff'));
    const legacyRoot = legacy.layers.get(img.layers[img.layers.length - 1]!)!.dir;
    const r = await verifyStack(img.names[0]!, lowers, legacyRoot, 'kernel', scratch, ignoredFlags);
    stacks.push(r);
    for (const d of r.differences) problems.push(`${r.image}: ${d.path}: ${d.what}`);
  }
  return { problems, stacks };
}
