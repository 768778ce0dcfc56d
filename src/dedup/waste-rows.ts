// The waste path rows both renderings list (the terminal's table and the HTML page's): a path
// copied across the same layers of images that share those layers is one row naming every such
// image, largest reclaimable first.
import type { Report, WastePath } from './report.js';
import type { Driver } from './types.js';

export interface WasteRow {
  p: WastePath;
  /** every image whose list holds the path over these layers, in report order */
  images: Array<{ name: string; driver: Driver }>;
  why: string;
  /** the path's best place in any of those images' lists (0: its largest) */
  rank: number;
}

export function wasteRowsOf(r: Report): WasteRow[] {
  const byKey = new Map<string, WasteRow>();
  for (const w of r.waste.images) {
    // By name and store: after migrate --in-place both stores list an image of that name.
    const img = r.images.find((i) => i.name === w.image && i.driver === w.driver);
    w.paths.forEach((p, rank) => {
      const key = `${p.path}\0${p.layers.map((i) => img?.layers[i]?.cacheId ?? String(i)).join(':')}`;
      let row = byKey.get(key);
      if (row === undefined) {
        const why = p.deleted ? 'deleted later' : p.metadataOnly ? 'chmod/chown/touch copied it' : 'overwritten';
        byKey.set(key, (row = { p, images: [], why, rank }));
      }
      row.images.push({ name: w.image, driver: w.driver });
      row.rank = Math.min(row.rank, rank);
    });
  }
  // Largest first: otherwise the first image's 4-byte rows bury a later image's megabytes.
  return [...byKey.values()].sort((a, b) => b.p.reclaimableBytes - a.p.reclaimableBytes || a.p.path.localeCompare(b.p.path));
}
