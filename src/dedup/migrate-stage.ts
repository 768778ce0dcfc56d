// Writing the overlay2 layout into the staging dir (`<target>/.ovl-migrate/`), which mirrors the
// data root: `overlay2/<id>/{diff,link,lower,work,committed}`, `overlay2/l/<link>`,
// `image/overlay2/` (a copy of `image/overlay/`: same image IDs, chain IDs, diff IDs, sizes,
// tar-split, cache-ids and mounts), and for --out the rest of the root under `root/`.
// Every piece is written under a `.partial-` name and renamed when complete, so a killed run leaves
// whole pieces and partial ones, and a rerun deletes the partial ones and goes on. Reads the legacy
// root, writes only below the staging dir.
import { chmodSync, existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from '../sys/fs-bytes.js';
import { join } from 'node:path';
import { OvlError } from '../errors.js';
import { copyTree, listMounts, umount } from '../sys/index.js';
import { shortLink } from './convert-plan.js';
import { ensureShortLink } from './convert.js';
import { writeDiff } from './convert-write.js';
import { legacyDiff } from './diff-legacy.js';
import { dropFailed, mkdirs, removeOwnTree } from './output-fs.js';
import type { MigratePlan, PlannedLayer } from './migrate-plan.js';
import type { LayerScan } from './types.js';

export const PARTIAL = '.partial-';
/** Top-level entries of a data root that --out does not copy: the legacy store, and scratch. */
const NOT_COPIED = new Set(['overlay', 'image', 'tmp', '.ovl-migrate']);

export function stagingDir(target: string): string {
  return join(target, '.ovl-migrate');
}

/** Where verification mounts the staged stacks: inside the staging dir, so a killed run's mount is found again. */
export function verifyMountDir(staging: string): string {
  const dir = join(staging, 'mnt');
  mkdirs(dir);
  return dir;
}

/** Unmount what a run killed while verifying left mounted (only below our own `mnt/`), and drop the dir. */
export function dropStaleMounts(staging: string): void {
  const mnt = join(staging, 'mnt');
  const stale = listMounts().map((m) => m.target).filter((p) => p.startsWith(mnt + '/'));
  for (const p of stale.sort((a, b) => b.length - a.length)) umount(p, { lazy: true });
  rmSync(mnt, { recursive: true, force: true });
}

/** Remove what a killed run left half-written below `dir`. */
export function dropPartials(dir: string): void {
  if (!existsSync(dir)) return;
  // Ours, flags included: a kill after a copy of a +i file left it +i (a read-over: the rerun refused it).
  for (const name of readdirSync(dir)) if (name.startsWith(PARTIAL)) removeOwnTree(join(dir, name));
}

/** Debugging and the kill -9 test: die here, as a power cut or an OOM kill would. */
export function crashPoint(step: string): void {
  if (process.env.OVL_DEDUP_MIGRATE_KILL_AT === step) process.kill(process.pid, 'SIGKILL');
}

async function writeLayerDiff(tmp: string, l: PlannedLayer, scans: Map<string, LayerScan>, parentOf: (id: string) => string): Promise<void> {
  const diff = join(tmp, 'diff');
  if (l.work === 'copy') return copyTree(l.src, diff);
  if (l.work === 'move') return; // renamed in at commit: the legacy upper stays where it is until then
  const scan = scans.get(l.id);
  if (!scan) throw new OvlError('EIO', `layer ${l.id} could not be scanned`, { path: l.src });
  mkdirSync(diff);
  // Regular files as hard links to the legacy root/: overlay2 never writes a lower layer's diff.
  writeDiff(diff, l.src, scan.top, legacyDiff(scans.get(parentOf(l.id)) ?? null, scan), { link: true });
}

/**
 * One layer dir, complete, under `<driverDir>/<id>`. An image layer staged by an earlier run is
 * kept (image layers never change); a copied container layer is redone, because the legacy
 * dockerd may have run that container in between.
 */
export async function stageLayer(driverDir: string, l: PlannedLayer, scans: Map<string, LayerScan>, parentOf: (id: string) => string): Promise<boolean> {
  const final = join(driverDir, l.id);
  if (l.work === 'copy') removeOwnTree(final);
  if (!existsSync(final)) {
    const tmp = join(driverDir, PARTIAL + l.id);
    removeOwnTree(tmp);
    try {
      mkdirSync(tmp);
      chmodSync(tmp, 0o710);
      await writeLayerDiff(tmp, l, scans, parentOf);
      writeFileSync(join(tmp, 'link'), shortLink(l.id), { mode: 0o644 });
      if (l.lower) {
        writeFileSync(join(tmp, 'lower'), l.lower, { mode: 0o644 });
        mkdirSync(join(tmp, 'work'), { mode: 0o700 });
      }
      if (l.committed) writeFileSync(join(tmp, 'committed'), '', { mode: 0o600 });
      renameSync(tmp, final);
    } catch (err) {
      throw dropFailed(tmp, err);
    }
    ensureShortLink(driverDir, l.id);
    return true;
  }
  ensureShortLink(driverDir, l.id);
  return false;
}

/** Copy `src` to `dst` through a partial name, afresh: metadata may have changed since an earlier run. */
async function stageCopy(src: string, dst: string): Promise<void> {
  removeOwnTree(dst);
  const tmp = join(dst, '..', PARTIAL + dst.slice(dst.lastIndexOf('/') + 1));
  removeOwnTree(tmp);
  try {
    await copyTree(src, tmp);
    renameSync(tmp, dst);
  } catch (err) {
    throw dropFailed(tmp, err);
  }
}

/** image/overlay → image/overlay2 (minus layerdb/tmp scratch); --out: the rest of the root too. */
export async function stageMetadata(plan: MigratePlan, staging: string): Promise<void> {
  mkdirs(join(staging, 'image'));
  dropPartials(join(staging, 'image'));
  const image = join(staging, 'image', 'overlay2');
  await stageCopy(join(plan.root, 'image', 'overlay'), image);
  rmSync(join(image, 'layerdb', 'tmp'), { recursive: true, force: true });
  mkdirs(join(image, 'layerdb', 'tmp'));
  if (plan.mode !== 'out') return;
  const rest = join(staging, 'root');
  mkdirs(rest);
  dropPartials(rest);
  for (const name of readdirSync(plan.root)) {
    if (!NOT_COPIED.has(name)) await stageCopy(join(plan.root, name), join(rest, name));
  }
}

/** Every layer of the plan, parents first; returns the IDs written by this run. */
export async function stageLayers(plan: MigratePlan, staging: string, scans: Map<string, LayerScan>): Promise<string[]> {
  const driverDir = join(staging, 'overlay2');
  mkdirs(join(driverDir, 'l'), 0o700);
  chmodSync(driverDir, 0o710);
  chmodSync(join(driverDir, 'l'), 0o700);
  dropPartials(driverDir);
  // Layers an earlier run staged that are gone from the legacy root since (docker rmi in between).
  const wanted = new Set(plan.layers.map((l) => l.id));
  for (const name of readdirSync(driverDir)) {
    if (name !== 'l' && !wanted.has(name)) removeOwnTree(join(driverDir, name));
  }
  for (const name of readdirSync(join(driverDir, 'l'))) {
    const target = readlinkSync(join(driverDir, 'l', name));
    if (!wanted.has(target.split('/')[1] ?? '')) rmSync(join(driverDir, 'l', name));
  }
  const parent = new Map(plan.layers.map((l) => [l.id, l.below[l.below.length - 1] ?? '']));
  const written: string[] = [];
  for (const l of plan.layers) {
    if (await stageLayer(driverDir, l, scans, (id) => parent.get(id) ?? '')) {
      written.push(l.id);
      crashPoint('stage-layer');
    }
  }
  return written;
}
