// Layers named the way `docker history` and dive show them, not by 64-hex cache IDs: the image
// (repo:tag) that has the layer lowest in the fewest layers, its index in that image (0 = bottom)
// and the layer's short diff ID (dive's digest); container layers by their short container ID.
import type { Report } from './report.js';

export interface LayerName {
  /** 'base:1 #0' or 'container 3f2a1b4c5d6e' */
  label: string;
  /** the diff ID's first 12 hex digits ('' for container layers) */
  short: string;
  /** every image that has the layer, as 'app:1 #2' */
  usedBy: string[];
}

const hex12 = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

export function layerNames(r: Report): Map<string, LayerName> {
  const out = new Map<string, LayerName>();
  // Images with fewer layers first: a shared layer is named after the smaller (base) image.
  const images = [...r.images].sort((a, b) => a.layers.length - b.layers.length || a.name.localeCompare(b.name));
  for (const img of images) {
    img.layers.forEach((l, i) => {
      const here = `${img.name} #${i}`;
      const known = out.get(l.cacheId);
      if (known) known.usedBy.push(here);
      else out.set(l.cacheId, { label: here, short: hex12(l.diffId || l.cacheId), usedBy: [here] });
    });
  }
  for (const c of r.containers) {
    const short = c.id.slice(0, 12);
    out.set(c.rwLayer, { label: `container ${short}`, short: '', usedBy: [] });
    if (c.initLayer) out.set(c.initLayer, { label: `container ${short} init`, short: '', usedBy: [] });
  }
  return out;
}

/** The label of a layer with its short ID, or the cache ID's first 12 digits for a layer no image lists. */
export function layerLabel(names: Map<string, LayerName>, cacheId: string): string {
  const n = names.get(cacheId);
  if (!n) return `layer ${cacheId.slice(0, 12)}`;
  return n.short ? `${n.label} ${n.short}` : n.label;
}
