// Analyse one store: per layer and in total, what its layers cost now, as overlay2-style diffs
// (multi-lower) and as legacy chains, so a legacy root and an overlay2 root of the same images
// give comparable numbers. Pure: works on scans and metadata only.
import { chainedCounts, type ChainedLayerInput, type CopyChain } from './chained.js';
import { ZERO, addCounts, savedBetween, tallyParts, unionOf, type Measured } from './counts.js';
import { diffCounts, dirSources } from './estimate.js';
import { legacyDiff } from './diff-legacy.js';
import { overlayDiff } from './diff-overlay.js';
import type { LayerReport, LayerTotals } from './report.js';
import type { Counts, DiffItem, ImageRef, LayerRef, LayerScan, Store } from './types.js';
import { PathCopies, pathCopies } from './waste.js';

export interface StoreAnalysis {
  store: Store;
  /** the layers that could be scanned, with their diff against the layer below */
  diffs: Map<string, DiffItem[]>;
  layers: Map<string, LayerReport>;
  imageLayers: LayerTotals;
  containerLayers: LayerTotals;
  /** totals over any subset of image layers (an image's chain) */
  totalsOf(cacheIds: readonly string[]): LayerTotals;
  /** each image's path copies (the costly half of its waste, which needs no content hash) */
  copiesOf: Map<ImageRef, PathCopies>;
}

/** Legacy image layers are full trees; every other kind of layer is already a diff. */
export function isChainedLayer(store: Store, layer: LayerRef): boolean {
  return store.driver === 'overlay' && layer.role === 'image';
}

/** Counts only (an estimate must not carry the measured breakdown along). */
function countsOf(m: Counts): Counts {
  return { entries: m.entries, inodes: m.inodes, regularBytes: m.regularBytes, diskBytes: m.diskBytes, maxLinks: m.maxLinks };
}

export function totalsWith(now: Measured, asMultiLower: Counts, asChained: Counts): LayerTotals {
  const ml = countsOf(asMultiLower);
  const ch = countsOf(asChained);
  return { ...now, asMultiLower: ml, asChained: ch, saved: savedBetween(ch, ml) };
}

function computeDiffs(store: Store, scans: Map<string, LayerScan>): Map<string, DiffItem[]> {
  const diffs = new Map<string, DiffItem[]>();
  for (const layer of store.layers.values()) {
    const scan = scans.get(layer.cacheId);
    if (!scan) continue;
    if (!isChainedLayer(store, layer)) diffs.set(layer.cacheId, overlayDiff(scan));
    else diffs.set(layer.cacheId, legacyDiff(scans.get(layer.parent) ?? null, scan));
  }
  return diffs;
}

/**
 * One chain of path copies per image, except that an image whose layers are the bottom of another
 * image's shares that image's copies (on the bench root the base image is the app image's lower
 * half: one merge of 12 layers instead of 12 + 6). Copies a layer adds depend only on the layers
 * below it, so the shorter image's are a prefix (wasteOfCopies cuts them at its layer count).
 */
function copyChains(images: readonly ImageRef[]): Map<ImageRef, CopyChain> {
  const longestFirst = [...images].sort((x, y) => y.layers.length - x.layers.length);
  const made: CopyChain[] = [];
  const byImage = new Map<ImageRef, CopyChain>();
  for (const img of longestFirst) {
    const isBottomOf = (m: CopyChain): boolean => img.layers.every((id, i) => m.layers[i] === id);
    let shared = made.find(isBottomOf);
    if (!shared) made.push((shared = { layers: img.layers, copies: new PathCopies(), done: 0 }));
    byImage.set(img, shared);
  }
  return byImage;
}

export function analyseStore(store: Store, scans: Map<string, LayerScan>): StoreAnalysis {
  const diffs = computeDiffs(store, scans);
  const scanned = [...store.layers.values()].filter((l) => scans.has(l.cacheId));
  const imageIds = scanned.filter((l) => l.role === 'image').map((l) => l.cacheId);
  const parts = new Map(tallyParts(scanned.map((l) => scans.get(l.cacheId)!)).map((p, i) => [scanned[i]!.cacheId, p]));
  const tallyOf = (ids: readonly string[]): Measured => unionOf([...new Set(ids)].map((id) => parts.get(id)!));
  const multiLower = new Map<string, Counts>();
  const nowOf = new Map<string, Measured>();
  for (const layer of scanned) {
    const scan = scans.get(layer.cacheId)!;
    const now = tallyOf([layer.cacheId]);
    nowOf.set(layer.cacheId, now);
    const chained = isChainedLayer(store, layer);
    multiLower.set(layer.cacheId, chained ? diffCounts(diffs.get(layer.cacheId)!, dirSources(scan.top, scan.entries)) : now);
  }
  const chainedInputs = (ids: readonly string[]): ChainedLayerInput[] =>
    ids.map((id) => ({ layer: store.layers.get(id)!, scan: scans.get(id)!, items: diffs.get(id)! }));
  const legacy = store.driver === 'overlay';
  // The chained estimate merges the image layers anyway: the path copies are recorded on the way.
  const chains = copyChains(store.images);
  const distinct = [...new Set(chains.values())];
  const chainedAll = legacy ? null : chainedCounts(chainedInputs(imageIds), distinct);
  // What that merge did not pass through in order (a legacy store, a layer missing): merged here.
  for (const c of distinct) {
    if (c.done < c.layers.length) c.copies = pathCopies(c.layers.map((id) => diffs.get(id) ?? []));
  }
  const copiesOf = new Map([...chains].map(([img, c]) => [img, c.copies]));

  const layers = new Map<string, LayerReport>();
  for (const layer of scanned) {
    const now = nowOf.get(layer.cacheId)!;
    const asChained = legacy || layer.role !== 'image' ? now : chainedAll!.perLayer.get(layer.cacheId) ?? now;
    layers.set(layer.cacheId, {
      cacheId: layer.cacheId, chainId: layer.chainId, diffId: layer.diffId, size: layer.size,
      ...now, asMultiLower: countsOf(multiLower.get(layer.cacheId)!), asChained: countsOf(asChained),
      saved: savedBetween(asChained, multiLower.get(layer.cacheId)!),
    });
  }

  const totalsOf = (ids: readonly string[]): LayerTotals => {
    const present = ids.filter((id) => scans.has(id));
    const now = tallyOf(present);
    const ml = legacy ? present.map((id) => multiLower.get(id)!).reduce(addCounts, { ...ZERO }) : now;
    const ch = legacy ? now : chainedAll!.totalOf(present);
    return totalsWith(now, ml, ch);
  };
  const imageNow = tallyOf(imageIds);
  const imageLayers = totalsWith(
    imageNow,
    legacy ? imageIds.map((id) => multiLower.get(id)!).reduce(addCounts, { ...ZERO }) : imageNow,
    legacy ? imageNow : chainedAll!.totalOf(imageIds),
  );
  const ctrNow = tallyOf(scanned.filter((l) => l.role !== 'image').map((l) => l.cacheId));
  return { store, diffs, layers, imageLayers, containerLayers: totalsWith(ctrNow, ctrNow, ctrNow), totalsOf, copiesOf };
}
