// Where a change inside a layer shows in the merged tree when the mount follows redirects
// (redirect_dir=on/follow): a merged dir /b whose upper carries `redirect` "/a" takes its lower
// part from the lower's /a, so a change in that lower's /a/x is a change of merged /b/x. The
// node core knows each merged dir's sources (its hits); the dirs the kernel holds are the only
// ones whose caches can be stale, so only theirs are mapped.
import type { Hit } from './lookup.js';
import { lookupDir } from './lookup.js';
import { pathInLayer } from './submounts.js';
import type { NodeTable } from './node-table.js';
import type { Overlay } from './overlay.js';

/** A held merged dir whose copy in `layer` lies at another path, `dir`, inside that layer. */
export interface MovedSource {
  layer: number;
  dir: string;
  merged: string;
}

/** The path of a hit inside its layer ('/' for the layer root), or null when it is not under the root. */
function hitPath(hit: Hit): string | null {
  // Also through a clone or a held fd (submounts.ts), and '//a' under a root of '/'.
  const rel = pathInLayer(hit.layer, hit.real);
  return rel === '' ? '/' : rel;
}

/**
 * Every dir the kernel holds whose source in some layer is not at its merged path (a redirect on
 * it or on an ancestor). One pass over the held dirs; their resolutions are mostly cached.
 */
export function movedSources(ovl: Overlay, table: NodeTable): MovedSource[] {
  const out: MovedSource[] = [];
  for (const rec of table.all()) {
    if (!rec.isDir) continue;
    const merged = table.path(rec);
    if (merged === null) continue;
    let hits: Hit[];
    try {
      hits = lookupDir(ovl, merged).hits;
    } catch {
      // Gone from the merged tree since the kernel looked it up: nothing of it to map.
      continue;
    }
    for (const hit of hits) {
      const dir = hitPath(hit);
      if (dir !== null && dir !== merged) out.push({ layer: hit.layer.index, dir, merged });
    }
  }
  return out;
}

/** The merged dirs, other than `dir` itself, that a change in `layer` at `dir` belongs to. */
export function movedDirsOf(layer: number, dir: string, sources: readonly MovedSource[]): string[] {
  const out: string[] = [];
  for (const s of sources) {
    if (s.layer !== layer) continue;
    if (dir === s.dir) out.push(s.merged);
    else if (dir.startsWith(s.dir + '/')) out.push(s.merged + dir.slice(s.dir.length));
  }
  return out;
}
