// The analyze result: the JSON contract other tools read (documented in docs/dedup.md).
// Every size is exact bytes; every count is exact. Changing a field name is a breaking change.
import type { Breakdown, Saved } from './counts.js';
import type { Counts, Driver, Warning } from './types.js';

export const REPORT_VERSION = 1;

/** Counts now, as overlay2-style diffs, as legacy chains, and what the multi-lower layout saves. */
export interface LayerTotals extends Counts {
  /** what the measured ("now") numbers are made of */
  breakdown: Breakdown;
  asMultiLower: Counts;
  asChained: Counts;
  saved: Saved;
}

export interface LayerReport extends Counts {
  cacheId: string;
  chainId: string;
  diffId: string;
  /** layerdb `size`: tar content bytes, what `docker system df` adds up */
  size: number;
  breakdown: Breakdown;
  asMultiLower: Counts;
  asChained: Counts;
  /** this layer's root as a full tree vs as a diff */
  saved: Saved;
}

export interface ImageReport {
  name: string;
  names: string[];
  id: string;
  driver: Driver;
  layers: LayerReport[];
  /** docker system df: Σ layer size; shared = layers also used by another listed image; unique = size − shared */
  size: number;
  sharedSize: number;
  uniqueSize: number;
  /** the image's layers together, inodes counted once */
  totals: LayerTotals;
}

export interface ContainerReport {
  id: string;
  driver: Driver;
  rwLayer: string;
  initLayer: string;
  counts: Counts;
}

/** The whole data root, as `find DATA_ROOT -xdev | wc -l`, `du -s -x --inodes` and `du -s -x DATA_ROOT` count it. */
export interface WholeRoot {
  /** every name: the root, image and container layer entries, and everything outside the layers */
  entries: number;
  inodes: number;
  diskBytes: number;
  /** the part outside the layer dirs (metadata, links, work dirs, orphans), root and layer dir names included */
  outside: { entries: number; inodes: number; diskBytes: number };
}

export interface StoreReport {
  driver: Driver;
  path: string;
  layers: number;
  images: number;
  containers: number;
  orphans: string[];
  /** the filesystem's hard-link limit; imageLayers.maxLinks against it is the EMLINK headroom */
  linkLimit: number | null;
  imageLayers: LayerTotals;
  containerLayers: LayerTotals;
}

export interface DuplicateGroup {
  hash: string;
  size: number;
  /** distinct inodes with this content */
  inodes: number;
  /** one path (data-root relative) per inode, bottom layer first (the first name met of each inode), at most 20 */
  paths: string[];
  /** the same files as (layer cache ID, path in the layer): the layer that added each file */
  files: Array<{ layer: string; path: string }>;
  /** (inodes − 1) × size */
  redundantBytes: number;
}

export interface Duplicates {
  hashedInodes: number;
  hashedBytes: number;
  groups: DuplicateGroup[];
  redundantInodes: number;
  redundantBytes: number;
}

export interface WastePath {
  path: string;
  /** layer indexes (0 = bottom) where the path was written or deleted */
  layers: number[];
  /** bytes of every copy (dive's wastedBytes counts all of them) */
  totalBytes: number;
  /** N−1 copies: every copy but the visible one (all of them when the path ends deleted) */
  reclaimableBytes: number;
  deleted: boolean;
  /** a later copy differs from the one below only in metadata (chmod/chown/touch): same content */
  metadataOnly: boolean;
}

export interface ImageWaste {
  image: string;
  /** the store the image is in: a root migrated in place lists each image once per store */
  driver: Driver;
  /** dive: Σ over paths seen in ≥2 layers of all their sizes */
  wastedBytes: number;
  reclaimableBytes: number;
  /** dive: Σ_paths min(size) / Σ_paths Σ sizes (1 when there is nothing) */
  efficiency: number;
  metadataOnlyBytes: number;
  paths: WastePath[];
}

export interface Waste {
  images: ImageWaste[];
  wastedBytes: number;
  reclaimableBytes: number;
  metadataOnlyBytes: number;
  /** lowest image efficiency (1 when there are no images) */
  efficiency: number;
}

export interface Report {
  version: number;
  root: string;
  stores: StoreReport[];
  imageLayers: LayerTotals;
  containerLayers: LayerTotals;
  images: ImageReport[];
  containers: ContainerReport[];
  duplicates: Duplicates;
  waste: Waste;
  /** null when only the layers were analysed (no walk of the rest of the root) */
  wholeRoot: WholeRoot | null;
  warnings: Warning[];
}
