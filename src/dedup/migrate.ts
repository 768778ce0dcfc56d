// migrate: a legacy `overlay` data root → an `overlay2` one that dockerd starts on, with the same
// image IDs, tags, layer chain IDs, container IDs, names and read-write data.
// Flow: refuse (in use, not legacy, incomplete, no room) → analyse → plan (--dry-run stops here) →
// stage into `<target>/.ovl-migrate/` → verify the staged store against the legacy one (metadata
// and every image stack mounted) → journal `commit` → renames into place → verify again →
// --remove-legacy. A killed run resumes from the journal.
import { readdirNoatime } from '../sys/dirents.js';
import { existsSync, lstatSync, readdirSync, readlinkSync, rmSync, statSync } from '../sys/fs-bytes.js';
import { FS_APPEND_FL, FS_IMMUTABLE_FL } from '../sys/fileattr.js';
import { outputError } from './output-fs.js';
import { REMOVING, exists, refusePinned, removalBegun, removeLegacy, unlinkable } from './migrate-remove.js';
import { basename, dirname, join, resolve } from 'node:path';
import { OvlError, UsageError } from '../errors.js';
import { checkedRoot } from './analyze-cmd.js';
import { isInside } from './output-path.js';
import { refuseBroken, refuseInUse, refuseNoSpace, refuseNotLegacy } from './migrate-guard.js';
import { commit, containerConfigFiles, readContainerConfig, readJournal, writeJournal, type Journal } from './migrate-commit.js';
import { planMigration, treeCost, type Cost, type MigrateMode, type MigratePlan } from './migrate-plan.js';
import { dropStaleMounts, stageLayers, stageMetadata, stagingDir, verifyMountDir } from './migrate-stage.js';
import { checkMigrated, compareStores } from './migrate-verify.js';
import { discoverDockerStore } from './discover-docker.js';
import { runAnalysis, type AnalysisRun } from './pipeline.js';
import { WarningLog } from './read-meta.js';
import type { LayerTotals } from './report.js';
import { scanLayer } from './scan.js';
import type { Counts, LayerScan, Store } from './types.js';

export interface MigrateOptions {
  out?: string;
  inPlace?: boolean;
  dryRun?: boolean;
  removeLegacy?: boolean;
}

export interface StoreCounts {
  imageLayers: Counts;
  containerLayers: Counts;
}

export interface MigrateResult {
  plan: MigratePlan | null;
  dryRun: boolean;
  /** this run finished a commit a killed run had started */
  resumedCommit: boolean;
  /** layers this run wrote (a resumed run skips finished ones) */
  written: string[];
  /** image stacks mounted and compared with the legacy root/, and entries compared */
  verified: { images: number; entries: number };
  /** analyze's numbers for the legacy store before and the overlay2 store after */
  before: StoreCounts | null;
  after: StoreCounts | null;
  /** measured: inodes and disk the new layout added (hard links to the legacy inodes not counted) */
  added: Cost | null;
  removedLegacy: boolean;
}

function pickCounts(t: LayerTotals): Counts {
  return { entries: t.entries, inodes: t.inodes, regularBytes: t.regularBytes, diskBytes: t.diskBytes, maxLinks: t.maxLinks };
}

function storeCounts(run: AnalysisRun, driver: 'overlay' | 'overlay2'): StoreCounts | null {
  const s = run.report.stores.find((x) => x.driver === driver);
  return s ? { imageLayers: pickCounts(s.imageLayers), containerLayers: pickCounts(s.containerLayers) } : null;
}

/** Whether --out is a directory already (else absent); a file on its way, or a dangling symlink, is refused. */
function outExists(out: string, target: string): boolean {
  for (let p = target; ; p = dirname(p)) {
    let st;
    try {
      st = statSync(p);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Staging would mkdir through the link: refuse rather than create a dir wherever it points.
      if (code === 'ENOENT' && lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw new UsageError(`--out ${out}: ${p === target ? 'a' : `${p} is a`} dangling symlink to ${readlinkSync(p)}`, { cause: err });
      }
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new UsageError(`--out ${out}: cannot reach ${p} (${code ?? String(err)})`, { cause: err });
    }
    if (!st.isDirectory()) throw new UsageError(`--out ${out}: ${p === target ? '' : `${p} is `}not a directory`);
    return p === target;
  }
}

/** --out: outside the root, not containing it, and empty but for a previous run's staging dir. */
function checkedTarget(root: string, opts: MigrateOptions): { mode: MigrateMode; target: string } {
  if ((opts.out === undefined) === (opts.inPlace !== true)) throw new UsageError('migrate: give exactly one of --out NEW_ROOT and --in-place');
  if (opts.removeLegacy && opts.inPlace !== true) throw new UsageError('--remove-legacy: only with --in-place (with --out the legacy root stays where it is; remove it yourself once the new one runs)');
  if (opts.inPlace) return { mode: 'in-place', target: root };
  const target = resolve(opts.out!);
  if (isInside(target, root)) throw new UsageError(`--out ${opts.out}: inside the data root ${root}`);
  if (isInside(root, target)) throw new UsageError(`--out ${opts.out}: contains the data root ${root}`);
  if (outExists(opts.out!, target)) {
    const other = readdirSync(target).filter((n) => n !== '.ovl-migrate');
    if (other.length > 0) throw new UsageError(`--out ${opts.out}: not empty (has ${other[0]})`);
  }
  return { mode: 'out', target };
}

/**
 * Container names (config.v2.json `Name`, without the leading slash) for the plan. Reads every
 * config the commit will rewrite, so a broken one is refused here, before anything is written.
 */
function containerNames(root: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of containerConfigFiles(root)) {
    let cfg;
    try {
      cfg = readContainerConfig(file);
    } catch (err) {
      throw new UsageError(`${(err as Error).message}; refusing to migrate (the commit rewrites it)`, { cause: err });
    }
    names.set(basename(dirname(file)), typeof cfg.Name === 'string' ? cfg.Name.replace(/^\//, '') : '');
  }
  return names;
}

/** What copying the metadata costs: image/overlay, and for --out every other top-level dir. */
function metadataCost(root: string, mode: MigrateMode): Cost {
  const log = new WarningLog();
  const dirs = [join(root, 'image', 'overlay')];
  if (mode === 'out') for (const n of readdirNoatime(root)) if (!['overlay', 'image', 'tmp', '.ovl-migrate'].includes(n)) dirs.push(join(root, n));
  const total = { inodes: 0, bytes: 0 };
  for (const d of dirs) {
    // lstat: a symlink (even a dangling one) is copied as a link, one inode.
    const c = treeCost(lstatSync(d).isDirectory() ? scanLayer(d, { log }) : null);
    total.inodes += c.inodes || 1;
    total.bytes += c.bytes || 4096;
  }
  return total;
}

function deviceOf(path: string): number {
  let p = path;
  while (!existsSync(p)) p = dirname(p);
  return statSync(p).dev;
}

/** New inodes below `dir` that are not legacy inodes (hard links to the legacy root are free). */
function measureAdded(dir: string, legacy: Map<string, LayerScan>): Cost {
  const known = new Set<string>();
  for (const s of legacy.values()) for (const e of s.entries) if (e.type === 'file') known.add(e.inode);
  const scan = scanLayer(dir, { log: new WarningLog() });
  if (!scan) return { inodes: 0, bytes: 0 };
  const seen = new Set<string>();
  const total = { inodes: 0, bytes: 0 };
  for (const e of [scan.top, ...scan.entries]) {
    if (known.has(e.inode) || seen.has(e.inode)) continue;
    seen.add(e.inode);
    total.inodes++;
    total.bytes += e.blocks * 512;
  }
  return total;
}

function legacyOf(run: AnalysisRun): { store: Store; scans: Map<string, LayerScan> } {
  const i = run.discovery.stores.findIndex((s) => s.driver === 'overlay');
  refuseNotLegacy(run.discovery.root, i >= 0);
  return { store: run.discovery.stores[i]!, scans: run.scans[i]! };
}

function failIf(problems: readonly string[], what: string): void {
  if (problems.length === 0) return;
  throw new OvlError('EIO', `${what}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`);
}

const EMPTY: Omit<MigrateResult, 'plan'> = {
  dryRun: false, resumedCommit: false, written: [], verified: { images: 0, entries: 0 }, before: null, after: null, added: null, removedLegacy: false,
};

/** --in-place --remove-legacy on a root migrated earlier: verify again, then drop the legacy store. */
async function removeAfterwards(root: string): Promise<MigrateResult> {
  const log = new WarningLog();
  // Its legacy side was verified before the removal began: finish it.
  if (removalBegun(root)) {
    removeLegacy(root);
    return { ...EMPTY, plan: null, after: storeCounts(await runAnalysis(root), 'overlay2'), removedLegacy: true };
  }
  const legacy = discoverDockerStore(root, 'overlay', log);
  if (!legacy && exists(join(root, 'overlay'))) {
    throw new UsageError(`${root}: overlay/ remains but image/overlay/ is gone, so nothing can verify it against overlay2/; remove overlay/ by hand if it holds nothing you need`);
  }
  if (!legacy) throw new UsageError(`${root}: has no legacy overlay store left to remove`);
  refusePinned(root);
  const staging = stagingDir(root);
  let check;
  try {
    // +i/+a the user cleared on the legacy side, as told, stay on the overlay2 copies.
    check = await checkMigrated(root, legacy, new Set(), verifyMountDir(staging), FS_IMMUTABLE_FL | FS_APPEND_FL);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  failIf(check.problems, 'the migrated store does not match the legacy one; legacy kept');
  removeLegacy(root);
  const verified = { images: check.stacks.length, entries: check.stacks.reduce((n, s) => n + s.compared, 0) };
  return { ...EMPTY, plan: null, verified, after: storeCounts(await runAnalysis(root), 'overlay2'), removedLegacy: true };
}

async function finishCommit(staging: string, j: Journal, opts: MigrateOptions): Promise<MigrateResult> {
  commit(staging, j);
  if (opts.removeLegacy) return { ...(await removeAfterwards(j.root)), resumedCommit: true };
  return { ...EMPTY, plan: null, resumedCommit: true, after: storeCounts(await runAnalysis(j.target), 'overlay2') };
}

export async function migrate(rootArg: string, opts: MigrateOptions): Promise<MigrateResult> {
  const root = checkedRoot(rootArg);
  const { mode, target } = checkedTarget(root, opts);
  const staging = stagingDir(target);
  // A run killed while verifying leaves its read-only stack mounted inside the staging dir.
  dropStaleMounts(staging);
  refuseInUse(root);
  if (mode === 'out') refuseInUse(target, opts.out);
  const journal = readJournal(staging);
  if (journal?.phase === 'commit') {
    if (opts.dryRun) throw new UsageError(`${staging}: a migration is half committed; run migrate again without --dry-run to finish it`);
    return finishCommit(staging, journal, opts);
  }
  if (mode === 'in-place' && existsSync(join(root, 'overlay2'))) {
    // An overlay2 root with no legacy store at all (never legacy, or migrated and removed) is not
    // one to point at --remove-legacy.
    refuseNotLegacy(root, existsSync(join(root, 'overlay')) || existsSync(join(root, 'image', 'overlay')) || exists(join(root, REMOVING)));
    if (opts.removeLegacy && !opts.dryRun) return removeAfterwards(root);
    throw new UsageError(`${root}: already has an overlay2 store (migrated before?); --in-place --remove-legacy drops the legacy one`);
  }
  // The commit renames the staged image/overlay2 into place: a leftover one would stop it half done.
  const imageDir = join(root, 'image', 'overlay2');
  if (mode === 'in-place' && leftover(imageDir)) {
    throw new UsageError(`${imageDir}: already exists without overlay2/ (left by another dockerd?); move it away first`);
  }
  // Before anything is staged: a store --remove-legacy could not remove is named now, not after the commit.
  if (mode === 'in-place' && opts.removeLegacy && !opts.dryRun) refusePinned(root);
  const run = await runAnalysis(root);
  const legacy = legacyOf(run);
  refuseBroken(run.discovery.warnings);
  const plan = planMigration({
    mode, root, target, store: legacy.store, scans: legacy.scans,
    layerReports: new Map(run.report.images.flatMap((i) => i.layers).map((l) => [l.cacheId, l])),
    names: containerNames(root),
    sameDevice: deviceOf(root) === deviceOf(target),
    metadata: metadataCost(root, mode),
    unlinkable,
  });
  const before = storeCounts(run, 'overlay');
  if (opts.dryRun) return { ...EMPTY, plan, dryRun: true, before };
  if (journal === null) refuseNoSpace(target, plan.newCost);
  const moves = plan.layers.filter((l) => l.work === 'move').map((l): [string, string] => [l.src, join(target, 'overlay2', l.id, 'diff')]);
  const j: Journal = { version: 1, phase: 'staging', mode, root, target, moves };
  let written: string[];
  try {
    writeJournal(staging, j);
    written = await stageLayers(plan, staging, legacy.scans);
    await stageMetadata(plan, staging);
  } catch (err) {
    throw outputError(err, staging);
  }
  const pending = new Set(plan.layers.filter((l) => l.work === 'move').map((l) => l.id));
  const check = await checkMigrated(staging, legacy.store, pending, verifyMountDir(staging));
  dropStaleMounts(staging);
  failIf(check.problems, `staged layout in ${staging} differs from the legacy root; nothing committed`);
  const added = measureAdded(staging, legacy.scans);
  writeJournal(staging, { ...j, phase: 'commit' });
  commit(staging, j);
  const log = new WarningLog();
  const migrated = discoverDockerStore(target, 'overlay2', log);
  failIf([...log.list.map((w) => `${w.path}: ${w.reason}`), ...(migrated ? compareStores(legacy.store, migrated) : ['no overlay2 store'])],
    'the committed overlay2 store does not match; legacy kept');
  if (opts.removeLegacy) {
    try {
      removeLegacy(root);
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`migrated; legacy store kept: ${err.message}`, { code: err.code, cause: err });
      throw err;
    }
  }
  const after = await runAnalysis(target);
  const verified = { images: check.stacks.length, entries: check.stacks.reduce((n, s) => n + s.compared, 0) };
  return { plan, dryRun: false, resumedCommit: false, written, verified, before, after: storeCounts(after, 'overlay2'), added, removedLegacy: opts.removeLegacy === true };
}

/** Whether anything is at `path`; a parent that is no dir (`image` a file) means nothing is, and analysis says what is wrong. */
function leftover(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOTDIR') return false;
    throw err;
  }
}
