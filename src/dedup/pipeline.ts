// The analyze pipeline with its I/O: discover → scan every layer dir → hash size collisions →
// analyse. Read-only on the data root: it opens, lists, stats and reads, nothing else.
import { analyse } from './analyse.js';
import { discover } from './discover.js';
import { hashInodes, sizeCollisions } from './hash.js';
import { WarningLog } from './read-meta.js';
import type { Report } from './report.js';
import { scanLayer } from './scan.js';
import type { Discovery, Entry, LayerScan } from './types.js';

export interface Progress {
  phase(name: 'scan' | 'hash', total: number): void;
  tick(done: number): void;
  done(): void;
}

export interface AnalysisRun {
  discovery: Discovery;
  scans: Array<Map<string, LayerScan>>;
  hashes: Map<string, string>;
  report: Report;
}

function* regularFiles(scans: Array<Map<string, LayerScan>>): Generator<{ entry: Entry; abs: string }> {
  for (const byId of scans) {
    for (const scan of byId.values()) {
      for (const entry of scan.entries) if (entry.type === 'file') yield { entry, abs: `${scan.dir}/${entry.path}` };
    }
  }
}

export function scanStores(discovery: Discovery, log: WarningLog, progress?: Progress): Array<Map<string, LayerScan>> {
  const layers = discovery.stores.flatMap((s) => [...s.layers.values()]);
  progress?.phase('scan', layers.length);
  let n = 0;
  const xattrCache = new Map<string, Array<[string, Buffer]>>();
  const out = discovery.stores.map((store) => {
    const byId = new Map<string, LayerScan>();
    for (const layer of store.layers.values()) {
      const scan = scanLayer(layer.dir, { log, xattrCache });
      if (scan) byId.set(layer.cacheId, scan);
      progress?.tick(++n);
    }
    return byId;
  });
  progress?.done();
  return out;
}

export async function runAnalysis(root: string, progress?: Progress): Promise<AnalysisRun> {
  const found = discover(root);
  const log = new WarningLog();
  log.list.push(...found.warnings);
  const discovery: Discovery = { ...found, warnings: log.list };
  const scans = scanStores(discovery, log, progress);
  const targets = sizeCollisions(regularFiles(scans));
  if (progress) {
    let total = 0;
    for (const f of regularFiles(scans)) if (targets.get(f.entry.inode) === f.abs) total += f.entry.size;
    progress.phase('hash', total);
  }
  const hashes = await hashInodes(targets, { log, onProgress: (b) => progress?.tick(b) });
  progress?.done();
  return { discovery, scans, hashes, report: analyse({ discovery, scans, hashes }) };
}
