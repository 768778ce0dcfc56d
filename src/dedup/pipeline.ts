// The analyze pipeline with its I/O: discover → scan every layer dir → hash size collisions →
// analyse. Read-only on the data root: it opens, lists, stats and reads, nothing else.
import { relative } from 'node:path';
import type { ContentHashes } from './content-hashes.js';
import { analyseLayers, finishReport, locatedFiles } from './analyse.js';
import { discover } from './discover.js';
import { CollisionStream } from './hash.js';
import { HashWorkers } from './hash-workers.js';
import { WarningLog } from './read-meta.js';
import type { Report } from './report.js';
import { scanOutside } from './outside.js';
import { inoOf } from './scan-wire.js';
import { scanLayer } from './scan.js';
import { ScanWorkers } from './scan-workers.js';
import type { Located } from './duplicates.js';
import type { Discovery, Entry, LayerScan } from './types.js';
import { CHUNK } from './chunks.js';

export interface Progress {
  phase(name: 'scan' | 'hash', total: number): void;
  tick(done: number): void;
  done(): void;
}

export interface AnalysisRun {
  discovery: Discovery;
  scans: Array<Map<string, LayerScan>>;
  hashes: ContentHashes;
  report: Report;
}

interface ScanStoresOptions extends Omit<RunOptions, 'progress'> {
  progress?: Progress | undefined;
  /** called with each layer as soon as it is scanned */
  onLayer?: (scan: LayerScan) => void;
}

/** What the scans on one thread and in threads share: the layers in order, and where each result goes. */
function layerSink(discovery: Discovery, progress: Progress | undefined, onLayer: ((scan: LayerScan) => void) | undefined) {
  const layers = discovery.stores.flatMap((s, store) => [...s.layers.values()].map((layer) => ({ store, layer })));
  progress?.phase('scan', layers.length);
  const out = discovery.stores.map(() => new Map<string, LayerScan>());
  return {
    dirs: layers.map((l) => l.layer.dir),
    /** layer `i` scanned (null: its top dir could not be read); called in layer order */
    put(i: number, scan: LayerScan | null): void {
      if (scan) {
        out[layers[i]!.store]!.set(layers[i]!.layer.cacheId, scan);
        onLayer?.(scan);
      }
      progress?.tick(i + 1);
    },
    done(): Array<Map<string, LayerScan>> {
      progress?.done();
      return out;
    },
  };
}

export function scanStores(discovery: Discovery, log: WarningLog, { progress, fileXattrs, onLayer }: ScanStoresOptions = {}): Array<Map<string, LayerScan>> {
  const sink = layerSink(discovery, progress, onLayer);
  const xattrCache = new Map<string, Array<[string, Buffer]>>();
  sink.dirs.forEach((dir, i) => sink.put(i, scanLayer(dir, { log, xattrCache, fileXattrs })));
  return sink.done();
}

/** scanStores with the layers walked in scan threads; the same scans, warnings and inode ids. */
export async function scanStoresInThreads(threads: ScanWorkers, discovery: Discovery, log: WarningLog, { progress, fileXattrs = true, onLayer }: ScanStoresOptions = {}): Promise<Array<Map<string, LayerScan>>> {
  const sink = layerSink(discovery, progress, onLayer);
  await threads.scan(sink.dirs, fileXattrs, (i, scan, warnings) => {
    for (const w of warnings) log.add(w.path, w.reason);
    sink.put(i, scan);
  });
  return sink.done();
}

/**
 * The layer's files that have just become size collisions. Called per 1 024 entries, not one loop
 * over the layer: that loop, once per layer, was compiled again by on-stack replacement on each
 * layer while its normal compile was under way (4 compiles a run); a call per chunk enters
 * compiled code from the second chunk on.
 */
function dueOf(scan: LayerScan, base: string, collisions: CollisionStream<Located>): Located[] {
  const due: Located[] = [];
  const { entries } = scan;
  for (let i = 0; i < entries.length; i += CHUNK) addChunk(entries, i, Math.min(entries.length, i + CHUNK), base, collisions, due);
  return due;
}

function addChunk(entries: Entry[], from: number, to: number, base: string, collisions: CollisionStream<Located>, due: Located[]): void {
  for (let i = from; i < to; i++) {
    const entry = entries[i]!;
    // Only non-empty regular files can collide: no wrapper object for the other entries.
    if (entry.type === 'file' && entry.size > 0) collisions.add({ entry, base }, due);
  }
}

export interface RunOptions {
  progress?: Progress;
  /** read regular files' xattrs too (convert writes them; analyze compares files by inode only) */
  fileXattrs?: boolean;
  /** see DiscoverOptions (analyze's report: true; migrate and convert: false) */
  skipMovedContainers?: boolean;
}

const SCAN_THREADS = 0;

/** Of `keys` (`dev:ino`), those a scanned layer names: a number test first, the key string only on a hit. */
function countedInLayers(scans: Array<Map<string, LayerScan>>, keys: ReadonlySet<string>): Set<string> {
  const inos = new Set([...keys].map((k) => Number(k.slice(k.indexOf(':') + 1))));
  const found = new Set<string>();
  for (const byId of scans) {
    for (const scan of byId.values()) {
      for (const e of scan.entries) if (e.nlink > 1 && e.type !== 'dir' && inos.has(inoOf(e)) && keys.has(e.inode)) found.add(e.inode);
    }
  }
  return found;
}

export async function runAnalysis(root: string, { progress, fileXattrs = true, skipMovedContainers = false }: RunOptions = {}): Promise<AnalysisRun> {
  // No scan thread: this thread walks every layer. On the bench root (2 vCPUs, alternated runs) a
  // scan thread cut this thread's CPU by ~0.2 s but added 0.1–0.3 s to the process's (isolate
  // start, koffi, compiling the scan twice); the process's CPU is what two cores run out of first.
  // Still through ScanWorkers and the wire form on this thread, not scanStores: rows of numbers and
  // entries made lazily from them are cheaper than scanLayer's entries (bench root, alternated
  // through the bench: 1,427/1,486 ms against 1,550/1,546 with scanStores).
  const scanners = new ScanWorkers(SCAN_THREADS);
  let found: ReturnType<typeof discover>;
  try {
    found = discover(root, { skipMovedContainers });
  } catch (err) {
    scanners.close();
    throw err;
  }
  const log = new WarningLog();
  log.list.push(...found.warnings);
  const discovery: Discovery = { ...found, warnings: log.list };
  // The hashing threads hash size collisions as each layer's scan finds them, and go on while this
  // thread analyses the layers (which needs no hashes).
  const hashers = new HashWorkers(root);
  const collisions = new CollisionStream<Located>();
  const onLayer = (scan: LayerScan): void => hashers.feed(dueOf(scan, relative(discovery.root, scan.dir), collisions));
  let scans: Array<Map<string, LayerScan>>;
  try {
    scans = await scanStoresInThreads(scanners, discovery, log, { progress, fileXattrs, onLayer });
  } catch (err) {
    scanners.close();
    hashers.close();
    throw err;
  }
  progress?.phase('hash', hashers.fedBytes);
  const hashing = hashers.finish({ log, onProgress: (b) => progress?.tick(b) });
  const layerDirs = new Set(scans.flatMap((byId) => [...byId.values()].map((s) => s.dir)));
  const outside = scanOutside(root, layerDirs, log, (keys) => countedInLayers(scans, keys));
  // The names the report lists: each hashed inode's first name, bottom layers first. Every file
  // is passed: the duplicates skip the unhashed ones, which is the size-collision pass over again.
  const layers = analyseLayers(discovery, scans, locatedFiles(discovery, scans));
  const hashes = await hashing;
  progress?.done();
  return { discovery, scans, hashes, report: finishReport(layers, hashes, outside) };
}
