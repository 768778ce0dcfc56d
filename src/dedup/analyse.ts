// Analyse: discovery + scans + content hashes → the Report (plain data, no printing, no I/O).
import { relative } from 'node:path';
import { analyseStore, totalsWith, type StoreAnalysis } from './analyse-store.js';
import type { ContentHashes } from './content-hashes.js';
import { InodeTally, ZERO, addBreakdowns, addCounts, emptyBreakdown } from './counts.js';
import { findDuplicates, type Located } from './duplicates.js';
import { sizeCollisions } from './hash.js';
import type { OutsideCounts } from './outside.js';
import type { ContainerReport, ImageReport, LayerTotals, Report, StoreReport, Waste } from './report.js';
import { REPORT_VERSION } from './report.js';
import type { Discovery, Driver, LayerScan, Store } from './types.js';
import { wasteOfCopies, type PathCopies } from './waste.js';

export interface AnalyseInput {
  discovery: Discovery;
  /** per store (same order as discovery.stores): cacheId → scan */
  scans: Array<Map<string, LayerScan>>;
  /** inode id → xxh64 of size-colliding regular files */
  hashes: ContentHashes;
  outside?: OutsideCounts;
}

/** docker system df: shared = layers referenced by more than one listed image of the store. */
function imageReports(a: StoreAnalysis): ImageReport[] {
  const refs = new Map<string, number>();
  for (const img of a.store.images) for (const id of new Set(img.layers)) refs.set(id, (refs.get(id) ?? 0) + 1);
  return a.store.images.map((img) => {
    const layers = img.layers.map((id) => a.layers.get(id)).filter((l) => l !== undefined);
    const sizeOf = (id: string): number => a.store.layers.get(id)?.size ?? 0;
    const size = img.layers.reduce((n, id) => n + sizeOf(id), 0);
    const sharedSize = img.layers.filter((id) => (refs.get(id) ?? 0) > 1).reduce((n, id) => n + sizeOf(id), 0);
    return {
      name: img.names[0]!, names: img.names, id: img.id, driver: a.store.driver, layers,
      size, sharedSize, uniqueSize: size - sharedSize, totals: a.totalsOf(img.layers),
    };
  });
}

function containerReports(store: Store, scans: Map<string, LayerScan>): ContainerReport[] {
  return store.containers.map((c) => {
    const t = new InodeTally();
    for (const id of [c.initLayer, c.rwLayer]) {
      const s = scans.get(id);
      if (s) t.addTree(s.top, s.entries);
    }
    return { id: c.id, driver: store.driver, rwLayer: c.rwLayer, initLayer: c.initLayer, counts: t.result() };
  });
}

function storeReport(a: StoreAnalysis): StoreReport {
  const s = a.store;
  return {
    driver: s.driver, path: s.path, layers: s.layers.size, images: s.images.length, containers: s.containers.length,
    orphans: s.orphans, linkLimit: s.linkLimit, imageLayers: a.imageLayers, containerLayers: a.containerLayers,
  };
}

/**
 * A root's totals over its stores. After `migrate --in-place` (legacy store kept) the overlay2
 * diffs hard-link the legacy files, so what is on disk is one tally over every store's layers; the
 * layouts not on disk (asMultiLower, asChained) are per-store estimates and add up.
 */
function rootTotals(analyses: StoreAnalysis[], scans: Array<Map<string, LayerScan>>, image: boolean): LayerTotals {
  const sum = sumTotals(analyses.map((a) => (image ? a.imageLayers : a.containerLayers)));
  if (analyses.length < 2) return sum;
  const tally = new InodeTally();
  analyses.forEach((a, i) => {
    for (const [id, scan] of scans[i] ?? []) {
      const role = a.store.layers.get(id)?.role;
      if (role !== undefined && (role === 'image') === image) tally.addTree(scan.top, scan.entries);
    }
  });
  return totalsWith(tally.measured(), sum.asMultiLower, sum.asChained);
}
function sumTotals(list: LayerTotals[]): LayerTotals {
  const add = (pick: (t: LayerTotals) => typeof ZERO) => list.map(pick).reduce(addCounts, { ...ZERO });
  const breakdown = list.map((t) => t.breakdown).reduce(addBreakdowns, emptyBreakdown());
  return totalsWith({ ...add((t) => t), breakdown }, add((t) => t.asMultiLower), add((t) => t.asChained));
}

/** An image's path copies: those of `copies`' chain, up to the image's own layer count. */
interface ImageCopies {
  image: string;
  driver: Driver;
  copies: PathCopies;
  upTo: number;
}

/** Each image's path copies (analyseStore made them), in report order. */
function imageCopies(analyses: StoreAnalysis[]): ImageCopies[] {
  return analyses.flatMap((a) => a.store.images.map((img) => ({ image: img.names[0]!, driver: a.store.driver, copies: a.copiesOf.get(img)!, upTo: img.layers.length })));
}

function wasteOf(copies: ImageCopies[], hashes: ContentHashes): Waste {
  const images = copies.map((c) => ({ ...wasteOfCopies(c.image, c.copies, hashes, c.upTo), driver: c.driver }));
  return {
    images,
    wastedBytes: images.reduce((n, w) => n + w.wastedBytes, 0),
    reclaimableBytes: images.reduce((n, w) => n + w.reclaimableBytes, 0),
    metadataOnlyBytes: images.reduce((n, w) => n + w.metadataOnlyBytes, 0),
    efficiency: images.reduce((m, w) => Math.min(m, w.efficiency), 1),
  };
}


/** Everything of the report that needs no content hash: computed while the hashes are being made. */
export interface LayerAnalysis {
  report: Omit<Report, 'duplicates' | 'waste' | 'wholeRoot'>;
  /** the files duplicates are looked for in (their first name per hashed inode counts), bottom layers first */
  located: Iterable<Located>;
  copies: ImageCopies[];
}

/** A store's layers parents first, so a file hard-linked up a legacy chain is met in the layer that added it. */
function bottomUp(store: Store, scans: Map<string, LayerScan>): string[] {
  const depth = new Map<string, number>();
  const depthOf = (id: string, guard = 0): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const parent = store.layers.get(id)?.parent ?? '';
    const d = parent && guard < 10_000 ? depthOf(parent, guard + 1) + 1 : 0;
    depth.set(id, d);
    return d;
  };
  return [...scans.keys()].sort((a, b) => depthOf(a) - depthOf(b));
}

/** Every regular file of the root's layers, bottom layers first, with its layer dir relative to the root. */
export function* locatedFiles(discovery: Discovery, scans: Array<Map<string, LayerScan>>): Generator<Located> {
  for (const [i, byId] of scans.entries()) {
    const store = discovery.stores[i];
    for (const layer of store ? bottomUp(store, byId) : byId.keys()) {
      const scan = byId.get(layer)!;
      const base = relative(discovery.root, scan.dir);
      for (const entry of scan.entries) if (entry.type === 'file') yield { entry, base, layer };
    }
  }
}

/**
 * `targets`: the size-colliding files (`sizeCollisions(locatedFiles(…))`) when the caller has them,
 * or all of `locatedFiles(…)` (read once, by finishReport).
 */
export function analyseLayers(discovery: Discovery, scans: Array<Map<string, LayerScan>>, targets?: Iterable<Located>): LayerAnalysis {
  const analyses = discovery.stores.map((store, i) => analyseStore(store, scans[i] ?? new Map()));
  return {
    report: {
      version: REPORT_VERSION,
      root: discovery.root,
      stores: analyses.map(storeReport),
      imageLayers: rootTotals(analyses, scans, true),
      containerLayers: rootTotals(analyses, scans, false),
      images: analyses.flatMap(imageReports),
      containers: analyses.flatMap((a, i) => containerReports(a.store, scans[i] ?? new Map())),
      warnings: discovery.warnings,
    },
    located: targets ?? sizeCollisions(locatedFiles(discovery, scans)),
    copies: imageCopies(analyses),
  };
}

/** `outside`: what the data root holds outside its layer dirs, when it was walked. */
export function finishReport({ report, located, copies }: LayerAnalysis, hashes: ContentHashes, outside?: OutsideCounts): Report {
  const { warnings, ...rest } = report;
  const layers = addCounts(report.imageLayers, report.containerLayers);
  const wholeRoot = outside
    ? { entries: layers.entries + outside.entries, inodes: layers.inodes + outside.inodes, diskBytes: layers.diskBytes + outside.diskBytes, outside }
    : null;
  return { ...rest, duplicates: findDuplicates(located, hashes), waste: wasteOf(copies, hashes), wholeRoot, warnings };
}

export function analyse({ discovery, scans, hashes, outside }: AnalyseInput): Report {
  return finishReport(analyseLayers(discovery, scans), hashes, outside);
}
