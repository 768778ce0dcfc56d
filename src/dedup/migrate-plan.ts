// What `migrate` will write for a legacy `overlay` store, and what it costs in new inodes and bytes.
// Every layer keeps its cache ID, so layerdb (cache-id, mount-id, init-id) is copied unchanged and
// still names the right dirs. Image layers become diffs whose regular files are hard links to the
// legacy root/ (same device) or copies; container layers (`-init` and read-write) are already
// overlay diffs: renamed with --in-place, copied with --out. Pure apart from reading the scans.
import { InodeTally, ZERO } from './counts.js';
import { lowerFile } from './convert-plan.js';
import { legacyDiff } from './diff-legacy.js';
import type { LayerReport } from './report.js';
import type { Entry, LayerRole, LayerScan, Store } from './types.js';

export type MigrateMode = 'in-place' | 'out';

/** How a layer's `diff/` comes to be: computed from full trees, renamed, or copied. */
export type LayerWork = 'diff' | 'move' | 'copy';

export interface PlannedLayer {
  id: string;
  role: LayerRole;
  /** the legacy data dir: `root/` of an image layer, `upper/` of a container layer */
  src: string;
  /** cache IDs below this layer, bottom → top */
  below: string[];
  /** the overlay2 `lower` file ('' for a base layer) */
  lower: string;
  work: LayerWork;
  /** overlay2 marks a layer another layer was created on */
  committed: boolean;
}

export interface Cost {
  inodes: number;
  bytes: number;
}

export interface MigratePlan {
  mode: MigrateMode;
  root: string;
  target: string;
  /** image layers first (parents before children), then every container's -init and RW layer */
  layers: PlannedLayer[];
  images: Array<{ id: string; names: string[] }>;
  containers: Array<{ id: string; name: string; rwLayer: string; initLayer: string }>;
  /** regular files that will share the legacy inode instead of being copied */
  linked: Cost;
  /** container diffs renamed into place (--in-place) */
  moved: Cost;
  /** estimate of what the new layout adds on disk */
  newCost: Cost;
}

const BLOCK = 4096;
const ZERO_COST: Cost = { inodes: 0, bytes: 0 };

function chainBelow(store: Store, id: string): string[] {
  const out: string[] = [];
  for (let p = store.layers.get(id)?.parent ?? ''; p !== ''; p = store.layers.get(p)?.parent ?? '') out.unshift(p);
  return out;
}

/** Distinct inodes and disk of a tree (its top included). */
export function treeCost(scan: LayerScan | null | undefined): Cost {
  if (!scan) return { inodes: 0, bytes: 0 };
  const t = new InodeTally();
  t.addTree(scan.top, scan.entries);
  const c = t.result();
  return { inodes: c.inodes, bytes: c.diskBytes };
}

/**
 * The regular files an image layer's diff holds, once per inode: the part a hard link makes free.
 * Not those `unlinkable` says link() refuses (chattr +i/+a: EPERM), which are copied.
 */
function diffFiles(parent: LayerScan | null, scan: LayerScan, unlinkable: (path: string) => boolean): Cost {
  const seen = new Set<string>();
  let bytes = 0;
  for (const item of legacyDiff(parent, scan)) {
    const e: Entry | null = item.entry;
    if (item.whiteout || !e || e.type !== 'file' || seen.has(e.inode)) continue;
    if (unlinkable(`${scan.dir}/${item.path}`)) continue;
    seen.add(e.inode);
    bytes += e.blocks * 512;
  }
  return { inodes: seen.size, bytes };
}

/** The overlay2 bookkeeping of one layer: its dir, link, lower, work, committed and `l/` symlink. */
function overheadCost(l: PlannedLayer): Cost {
  const files = 2 + (l.lower ? 2 : 0) + (l.committed ? 1 : 0) + 1;
  // layer dir, link file, l/ symlink (72-byte target: not inline), and lower file + work dir
  const blocks = 3 + (l.lower ? 2 : 0);
  return { inodes: files, bytes: blocks * BLOCK };
}

export interface PlanInput {
  mode: MigrateMode;
  root: string;
  target: string;
  store: Store;
  scans: Map<string, LayerScan>;
  layerReports: Map<string, LayerReport>;
  names: Map<string, string>;
  /** hard links from target to root are possible (same filesystem) */
  sameDevice: boolean;
  /** what the metadata copy (image/overlay, and for --out the rest of the root) costs */
  metadata: Cost;
  /** whether link() refuses this legacy file (chattr +i/+a), so it is copied; default: none is */
  unlinkable?: (path: string) => boolean;
}

function add(a: Cost, b: Cost): Cost {
  return { inodes: a.inodes + b.inodes, bytes: a.bytes + b.bytes };
}

export function planMigration(input: PlanInput): MigratePlan {
  const { store, scans, mode } = input;
  const parents = new Set([...store.layers.values()].map((l) => l.parent).filter((p) => p !== ''));
  const imageIds: string[] = [];
  for (const img of store.images) for (const id of img.layers) if (!imageIds.includes(id)) imageIds.push(id);
  // Layers no listed image uses (the classic builder's intermediates share them) are still in layerdb.
  for (const l of store.layers.values()) if (l.role === 'image' && !imageIds.includes(l.cacheId)) imageIds.push(l.cacheId);
  imageIds.sort((a, b) => chainBelow(store, a).length - chainBelow(store, b).length);
  const ctrIds = store.containers.flatMap((c) => [c.initLayer, c.rwLayer].filter((id) => id !== ''));
  const layers = [...imageIds, ...ctrIds].map((id): PlannedLayer => {
    const ref = store.layers.get(id)!;
    const below = chainBelow(store, id);
    const work: LayerWork = ref.role === 'image' ? 'diff' : mode === 'in-place' ? 'move' : 'copy';
    return { id, role: ref.role, src: ref.dir, below, lower: lowerFile(below), work, committed: parents.has(id) };
  });
  let linked = { ...ZERO_COST };
  let moved = { ...ZERO_COST };
  let newCost = input.metadata;
  for (const l of layers) {
    const scan = scans.get(l.id);
    newCost = add(newCost, overheadCost(l));
    if (l.work === 'move') moved = add(moved, treeCost(scan));
    else if (l.work === 'copy') newCost = add(newCost, treeCost(scan));
    else {
      const est = input.layerReports.get(l.id)?.asMultiLower ?? ZERO;
      const files = scan ? diffFiles(scans.get(store.layers.get(l.id)!.parent) ?? null, scan, input.unlinkable ?? (() => false)) : ZERO_COST;
      const whole = { inodes: est.inodes, bytes: est.diskBytes };
      if (input.sameDevice) {
        linked = add(linked, files);
        newCost = add(newCost, { inodes: whole.inodes - files.inodes, bytes: whole.bytes - files.bytes });
      } else newCost = add(newCost, whole);
    }
  }
  return {
    mode,
    root: input.root,
    target: input.target,
    layers,
    images: store.images.map((i) => ({ id: i.id, names: i.names })),
    containers: store.containers.map((c) => ({ id: c.id, name: input.names.get(c.id) ?? '', rwLayer: c.rwLayer, initLayer: c.initLayer })),
    linked,
    moved,
    newCost,
  };
}

