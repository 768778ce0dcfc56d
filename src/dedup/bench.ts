// Entry points for benchmarking the analyze pipeline (the bench harness times the CLI end to end
// against jdupes and rdfind; these give the in-process view): a generated legacy `overlay` root of
// any size, where every layer is a full hard-linked tree, and a timed analyze run with its phases.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyse } from './analyse.js';
import { discover } from './discover.js';
import { writeFakeRoot, type FakeLayer } from './fake-root.js';
import { hashInodes, sizeCollisions } from './hash.js';
import { WarningLog } from './read-meta.js';
import type { Report } from './report.js';
import { scanStores } from './pipeline.js';

/** Content of file `n` in `layer`: every 4th file repeats one of 500 pool contents, sizes collide on purpose. */
function content(n: number, layer: number): string {
  const pool = n % 4 === 0;
  const tag = pool ? `pool-${(n / 4) % 500}` : `uniq-${layer}-${n}`;
  const size = 64 + (pool ? (n / 4) % 500 : n) % 128 * 8;
  return tag.padEnd(size, '.');
}

/**
 * A legacy root with `layers` layers whose full trees hold `entries` entries in total: the base
 * layer writes files in dirs of 100; each later layer (a hard-link copy of the one below, as the
 * driver makes it) rewrites 2% of the files, deletes 1% and adds 1%.
 */
export function genLegacyRoot(root: string, entries: number, layers: number): void {
  const perLayer = Math.ceil(entries / layers);
  const files = Math.round(perLayer * 0.99);
  const chain: FakeLayer[] = [];
  for (let k = 0; k < layers; k++) {
    chain.push({
      id: `${k}`.padStart(64, 'b'),
      build: (d) => {
        for (let n = 0; n < files; n++) {
          const dir = join(d, `d${Math.floor(n / 100)}`);
          const path = join(dir, `f${n}`);
          if (k === 0) {
            if (n % 100 === 0) mkdirSync(dir, { recursive: true });
            writeFileSync(path, content(n, 0));
          } else if (n % 50 === k % 50) {
            rmSync(path, { force: true });
            writeFileSync(path, content(n, k));
          } else if (n % 100 === (k + 7) % 100) {
            rmSync(path, { force: true });
            writeFileSync(join(dir, `new-${k}-${n}`), content(n, k));
          }
        }
      },
    });
  }
  writeFakeRoot(root, 'overlay', [{ tags: ['bench/base:1'], layers: chain.slice(0, Math.max(1, layers >> 1)) }, { tags: ['bench/app:1'], layers: chain }]);
}

export interface AnalyzeTiming {
  entries: number;
  seconds: number;
  entriesPerSecond: number;
  phases: { scan: number; hash: number; analyse: number };
  report: Report;
}

/** analyze in-process, timed per phase (wall clock, seconds). */
export async function timeAnalyze(root: string): Promise<AnalyzeTiming> {
  const t0 = performance.now();
  const log = new WarningLog();
  const discovery = discover(root);
  const scans = scanStores(discovery, log);
  const t1 = performance.now();
  const files = scans.flatMap((m) => [...m.values()].flatMap((s) => s.entries.filter((e) => e.type === 'file').map((entry) => ({ entry, abs: join(s.dir, entry.path) }))));
  const hashes = await hashInodes(sizeCollisions(files), { log });
  const t2 = performance.now();
  const report = analyse({ discovery, scans, hashes });
  const t3 = performance.now();
  const entries = report.imageLayers.entries + report.containerLayers.entries;
  const seconds = (t3 - t0) / 1000;
  return {
    entries,
    seconds,
    entriesPerSecond: Math.round(entries / seconds),
    phases: { scan: (t1 - t0) / 1000, hash: (t2 - t1) / 1000, analyse: (t3 - t2) / 1000 },
    report,
  };
}
