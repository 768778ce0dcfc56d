// convert: legacy `overlay` chains → overlay2-style diffs under --out, shared layers written once.
// Each layer is written into OUT/.partial-<id> and renamed into place when complete, so an
// interrupted run leaves only .partial dirs, which the next run deletes and redoes; finished
// layers are kept. DATA_ROOT is only read. Nothing is written before refuseIncomplete has passed.
import { existsSync, lstatSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, readlinkSync } from '../sys/fs-bytes.js';
import { dirname, join, resolve } from 'node:path';
import { OvlError, UsageError } from '../errors.js';
import { formatMountOptions } from '../format/index.js';
import { checkedRoot } from './analyze-cmd.js';
import { isInside } from './output-path.js';
import { InodeTally, ZERO, addCounts, savedBetween, type Saved } from './counts.js';
import { lowerFile, planConversion, shortLink, type ConvertPlan } from './convert-plan.js';
import { refuseIncomplete } from './convert-guard.js';
import { refuseStoreDir } from './migrate-guard.js';
import { writeDiff } from './convert-write.js';
import { dropFailed, mkdirs, removeOwnTree, withOutputErrors } from './output-fs.js';
import { legacyDiff } from './diff-legacy.js';
import { LAYER_ID } from './discover-docker.js';
import { runAnalysis, type AnalysisRun } from './pipeline.js';
import { WarningLog, isDir } from './read-meta.js';
import { scanLayer } from './scan.js';
import type { Counts, LayerScan, Store } from './types.js';

const PARTIAL = '.partial-';

export interface ConvertedImage {
  name: string;
  id: string;
  /** overlay2-style diff dirs, top first, as lowerdir= takes them */
  lowers: string[];
  lowerdir: string;
  /** the legacy root/ of the image's top layer: what the stack must show */
  legacyRoot: string;
}

export interface ConvertResult {
  out: string;
  written: string[];
  reused: string[];
  images: ConvertedImage[];
  /** analyze's estimate for these layers as multi-lower diffs */
  estimate: Counts;
  /** the same numbers measured on what was written */
  measured: Counts;
  /** the converted layers' legacy roots as they are now */
  legacy: Counts;
  /** legacy − measured: the saving measured on the output, not estimated */
  saved: Saved;
}

/** A symlink whose target does not exist (existsSync calls it absent); false when its dir is no dir. */
function dangling(path: string): boolean {
  return isDir(dirname(path)) && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
}

/** --out must be outside DATA_ROOT (and must not contain it): convert never writes into the root. */
export function checkedOut(root: string, outArg: string): string {
  const out = resolve(outArg);
  if (isInside(out, root)) throw new UsageError(`--out ${outArg}: inside the data root ${root}; convert never writes there`);
  if (isInside(root, out)) throw new UsageError(`--out ${outArg}: contains the data root ${root}`);
  // The deepest existing part of --out must be a directory: a file there is a typo, not an internal error.
  // A dangling symlink stops the walk too, so it is named here rather than failing mkdir later.
  let probe = out;
  while (!existsSync(probe) && !dangling(probe) && dirname(probe) !== probe) probe = dirname(probe);
  let st;
  try {
    st = statSync(probe);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? `a dangling symlink to ${readlinkSync(probe)}` : `a symlink that cannot be followed (${code ?? String(err)})`;
    throw new UsageError(`--out ${outArg}: ${probe === out ? '' : `${probe} is `}${why}`, { code, cause: err });
  }
  if (!st.isDirectory()) throw new UsageError(`--out ${outArg}: ${probe === out ? 'not a directory' : `${probe} is not a directory`}`, { code: 'ENOTDIR' });
  return out;
}

function legacyStore(run: AnalysisRun): { store: Store; scans: Map<string, LayerScan> } {
  const i = run.discovery.stores.findIndex((s) => s.driver === 'overlay');
  // A wrong root is a usage error (exit 2), as migrate refuses it.
  if (i < 0) {
    refuseStoreDir(run.discovery.root);
    throw new UsageError(`${run.discovery.root}: no legacy overlay store to convert`, { code: 'ENOENT' });
  }
  return { store: run.discovery.stores[i]!, scans: run.scans[i]! };
}

function writeLayer(out: string, store: Store, scans: Map<string, LayerScan>, id: string, below: string[]): void {
  const layer = store.layers.get(id)!;
  const scan = scans.get(id);
  if (!scan) throw new OvlError('EIO', `layer ${id} could not be scanned`, { path: layer.dir });
  const tmp = join(out, PARTIAL + id);
  removeOwnTree(tmp);
  mkdirs(join(tmp, 'diff'));
  try {
    writeDiff(join(tmp, 'diff'), layer.dir, scan.top, legacyDiff(scans.get(layer.parent) ?? null, scan));
    writeFileSync(join(tmp, 'link'), shortLink(id));
    if (below.length > 0) writeFileSync(join(tmp, 'lower'), lowerFile(below));
    renameSync(tmp, join(out, id));
  } catch (err) {
    throw dropFailed(tmp, err);
  }
}

export function ensureShortLink(out: string, id: string): void {
  const link = join(out, 'l', shortLink(id));
  const target = `../${id}/diff`;
  try {
    if (readlinkSync(link) === target) return;
    rmSync(link);
  } catch {
    // absent: create it below
  }
  withOutputErrors(link, () => symlinkSync(target, link));
}

function measure(out: string, ids: readonly string[]): Counts {
  const log = new WarningLog();
  const t = new InodeTally();
  for (const id of ids) {
    const s = scanLayer(join(out, id, 'diff'), { log });
    if (s) t.addTree(s.top, s.entries);
  }
  if (log.list.length > 0) throw new OvlError('EIO', `cannot measure output: ${log.list[0]!.reason}`, { path: log.list[0]!.path });
  return t.result();
}

function chainBelow(plan: ConvertPlan, id: string): string[] {
  for (const p of plan.images) {
    const i = p.layers.indexOf(id);
    if (i >= 0) return p.layers.slice(0, i);
  }
  return [];
}

export async function convert(rootArg: string, outArg: string, refs: readonly string[]): Promise<ConvertResult> {
  const root = checkedRoot(rootArg);
  const out = checkedOut(root, outArg);
  const run = await runAnalysis(root);
  const { store, scans } = legacyStore(run);
  const plan = planConversion(store, refs);
  refuseIncomplete(run.discovery.warnings, plan, store, scans);
  mkdirs(join(out, 'l'));
  // Only what writeLayer makes (a dir named PARTIAL + a layer id): other names there are the user's.
  // Ours, flags included: a kill after a copy of a +i file left it +i (a read-over: the rerun then
  // refused to remove it).
  for (const name of readdirSync(out)) {
    const own = name.startsWith(PARTIAL) && LAYER_ID.test(name.slice(PARTIAL.length));
    if (own && lstatSync(join(out, name)).isDirectory()) removeOwnTree(join(out, name));
  }
  const written: string[] = [];
  const reused: string[] = [];
  for (const id of plan.layers) {
    if (existsSync(join(out, id, 'diff'))) reused.push(id);
    else {
      writeLayer(out, store, scans, id, chainBelow(plan, id));
      written.push(id);
    }
    ensureShortLink(out, id);
  }
  const layerReports = new Map(run.report.images.flatMap((i) => i.layers).map((l) => [l.cacheId, l]));
  const estimate = plan.layers.map((id) => layerReports.get(id)?.asMultiLower ?? ZERO).reduce(addCounts, { ...ZERO });
  const images = plan.images.map(({ image, layers }) => {
    const lowers = layers.slice().reverse().map((id) => join(out, id, 'diff'));
    const legacyRoot = store.layers.get(layers[layers.length - 1]!)!.dir;
    const lowerdir = formatMountOptions({ lowerdirs: lowers, datadirs: [], extra: {} });
    return { name: image.names[0]!, id: image.id, lowers, lowerdir, legacyRoot };
  });
  const legacy = new InodeTally();
  for (const id of plan.layers) {
    const scan = scans.get(id);
    if (scan) legacy.addTree(scan.top, scan.entries);
  }
  const measured = measure(out, plan.layers);
  const now = legacy.result();
  return { out, written, reused, images, estimate, measured, legacy: now, saved: savedBetween(now, measured) };
}
