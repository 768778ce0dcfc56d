// Entry points for benchmarking the analyze pipeline (the bench harness times the CLI end to end
// against jdupes and rdfind; these give the in-process view): a generated legacy `overlay` root of
// any size, where every layer is a full hard-linked tree, and a timed analyze run with its phases.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyseLayers, finishReport, locatedFiles } from './analyse.js';
import { discover } from './discover.js';
import { writeFakeRoot, type FakeLayer } from './fake-root.js';
import { sizeCollisions } from './hash.js';
import { hashInodes } from './hash-workers.js';
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

/** Wall and CPU (user + system, this thread and the hash worker) seconds of one phase. */
export interface PhaseTime {
  wall: number;
  cpu: number;
}

export interface AnalyzeTiming {
  entries: number;
  seconds: number;
  entriesPerSecond: number;
  /**
   * scan: walk + lstat + xattrs + readlink; sizes: size collisions; layers: the inode/layer
   * analysis (diffs, tallies, chained merge, waste copies) on this thread while `hash` runs in the
   * worker (their wall times overlap); finish: duplicates and waste from the hashes.
   */
  phases: { scan: PhaseTime; sizes: PhaseTime; hash: PhaseTime; layers: PhaseTime; finish: PhaseTime };
  report: Report;
}

function timer(): () => PhaseTime {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
}

/** analyze in-process, timed per phase the way the CLI runs it (hashing in a worker). */
export async function timeAnalyze(root: string): Promise<AnalyzeTiming> {
  const all = timer();
  const log = new WarningLog();
  let t = timer();
  const discovery = discover(root);
  const scans = scanStores(discovery, log, { fileXattrs: false });
  const scan = t();
  t = timer();
  const targets = sizeCollisions(locatedFiles(discovery, scans));
  const sizes = t();
  t = timer();
  const hashT = timer();
  let hash: PhaseTime = { wall: 0, cpu: 0 };
  const hashing = hashInodes(discovery.root, targets, { log })
    .then((h) => ((hash = hashT()), h));
  const layerAnalysis = analyseLayers(discovery, scans, targets);
  const layers = t();
  const hashes = await hashing;
  t = timer();
  const report = finishReport(layerAnalysis, hashes);
  const finish = t();
  const total = all();
  // The worker's CPU is in process.cpuUsage() too: what the whole run cost minus this thread's phases.
  hash.cpu = Math.max(0, total.cpu - scan.cpu - sizes.cpu - layers.cpu - finish.cpu);
  const entries = report.imageLayers.entries + report.containerLayers.entries;
  return { entries, seconds: total.wall, entriesPerSecond: Math.round(entries / total.wall), phases: { scan, sizes, hash, layers, finish }, report };
}
