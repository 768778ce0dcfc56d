// Analyse: discovery + scans + content hashes → the Report (plain data, no printing, no I/O).
import { relative } from 'node:path';
import { analyseStore, totalsWith, type StoreAnalysis } from './analyse-store.js';
import { InodeTally, ZERO, addBreakdowns, addCounts, emptyBreakdown } from './counts.js';
import { findDuplicates, type Located } from './duplicates.js';
import type { ContainerReport, ImageReport, LayerTotals, Report, StoreReport, Waste } from './report.js';
import { REPORT_VERSION } from './report.js';
import type { Discovery, LayerScan, Store } from './types.js';
import { imageWaste } from './waste.js';

export interface AnalyseInput {
  discovery: Discovery;
  /** per store (same order as discovery.stores): cacheId → scan */
  scans: Array<Map<string, LayerScan>>;
  /** inode → xxh64 of size-colliding regular files */
  hashes: Map<string, string>;
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

/** Totals over several stores: the stores never share inodes, so the numbers add up. */
function sumTotals(list: LayerTotals[]): LayerTotals {
  const add = (pick: (t: LayerTotals) => typeof ZERO) => list.map(pick).reduce(addCounts, { ...ZERO });
  const breakdown = list.map((t) => t.breakdown).reduce(addBreakdowns, emptyBreakdown());
  return totalsWith({ ...add((t) => t), breakdown }, add((t) => t.asMultiLower), add((t) => t.asChained));
}

function wasteOf(analyses: StoreAnalysis[], hashes: Map<string, string>): Waste {
  const images = analyses.flatMap((a) =>
    a.store.images.map((img) => imageWaste(img.names[0]!, img.layers.map((id) => a.diffs.get(id) ?? []), hashes)),
  );
  return {
    images,
    wastedBytes: images.reduce((n, w) => n + w.wastedBytes, 0),
    reclaimableBytes: images.reduce((n, w) => n + w.reclaimableBytes, 0),
    metadataOnlyBytes: images.reduce((n, w) => n + w.metadataOnlyBytes, 0),
    efficiency: images.reduce((m, w) => Math.min(m, w.efficiency), 1),
  };
}

function* locatedFiles(root: string, scans: Array<Map<string, LayerScan>>): Generator<Located> {
  for (const byId of scans) {
    for (const scan of byId.values()) {
      const base = relative(root, scan.dir);
      for (const entry of scan.entries) if (entry.type === 'file') yield { entry, base };
    }
  }
}

export function analyse({ discovery, scans, hashes }: AnalyseInput): Report {
  const analyses = discovery.stores.map((store, i) => analyseStore(store, scans[i] ?? new Map()));
  return {
    version: REPORT_VERSION,
    root: discovery.root,
    stores: analyses.map(storeReport),
    imageLayers: sumTotals(analyses.map((a) => a.imageLayers)),
    containerLayers: sumTotals(analyses.map((a) => a.containerLayers)),
    images: analyses.flatMap(imageReports),
    containers: analyses.flatMap((a, i) => containerReports(a.store, scans[i] ?? new Map())),
    duplicates: findDuplicates(locatedFiles(discovery.root, scans), hashes),
    waste: wasteOf(analyses, hashes),
    warnings: discovery.warnings,
  };
}
