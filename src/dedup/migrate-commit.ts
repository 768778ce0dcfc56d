// Switching a data root over to the staged overlay2 layout, as a journal of idempotent renames.
// Until the journal says `commit`, the legacy root is untouched (only `.ovl-migrate/` exists) and
// a killed run just stages on. Once it says `commit`, every step checks whether it is already done,
// so a rerun after kill -9 finishes the same steps: rename staging into place, move the
// container diffs (--in-place), name overlay2 in each container's config, drop the staging dir.
import { readFileNoatime, readdirNoatime } from '../sys/dirents.js';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from '../sys/fs-bytes.js';
import { basename, dirname, join } from 'node:path';
import { OvlError } from '../errors.js';
import type { MigrateMode } from './migrate-plan.js';
import { crashPoint } from './migrate-stage.js';
import { isJsonObject } from './read-meta.js';
import { mkdirs } from './output-fs.js';

export interface Journal {
  version: 1;
  phase: 'staging' | 'commit';
  mode: MigrateMode;
  root: string;
  target: string;
  /** legacy container `upper/` → overlay2 `diff/` (--in-place only) */
  moves: Array<[string, string]>;
}

export function journalPath(staging: string): string {
  return join(staging, 'journal.json');
}

export function readJournal(staging: string): Journal | null {
  try {
    return JSON.parse(readFileSync(journalPath(staging), 'utf8')) as Journal;
  } catch {
    return null;
  }
}

/** Write-then-rename: the journal is always either the old or the new one, never half. */
export function writeJournal(staging: string, j: Journal): void {
  mkdirs(staging);
  const tmp = journalPath(staging) + '.tmp';
  writeFileSync(tmp, JSON.stringify(j, null, 2) + '\n', { flush: true });
  renameSync(tmp, journalPath(staging));
}

/** lstat, not stat: a dangling symlink at the top of a root is moved as what it is, a link. */
function present(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Rename `src` to `dst` unless that already happened; neither existing is a broken journal. */
function renameOnce(src: string, dst: string): void {
  if (present(src)) {
    if (present(dst)) throw new OvlError('EEXIST', `cannot move ${src} into place: already exists`, { path: dst });
    mkdirSync(dirname(dst), { recursive: true });
    renameSync(src, dst);
  } else if (!present(dst)) {
    throw new OvlError('ENOENT', `journal step lost: neither ${src} nor its destination exists`, { path: dst });
  }
}

/** The config.v2.json of every `containers/<id>/` below `root` that has one: what the commit rewrites. */
export function containerConfigFiles(root: string): string[] {
  const dir = join(root, 'containers');
  if (!existsSync(dir)) return [];
  return readdirNoatime(dir).sort().map((id) => join(dir, id, 'config.v2.json')).filter((f) => existsSync(f));
}

/** A container config as a JSON object; anything else is a one-line error naming the file. */
export function readContainerConfig(file: string): { Name?: unknown; Driver?: unknown } {
  let cfg: unknown;
  try {
    cfg = JSON.parse(readFileNoatime(file, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? `invalid JSON (${err.message.split('\n')[0]})` : `cannot read (${(err as { code?: string }).code ?? String(err)})`;
    throw new OvlError('EINVAL', why, { path: file, cause: err });
  }
  if (!isJsonObject(cfg)) throw new OvlError('EINVAL', 'not a JSON object', { path: file });
  return cfg as { Name?: unknown; Driver?: unknown };
}

/** Fields of config.v2.json that name a file dockerd keeps in the container's dir of its data root. */
const ROOT_PATH_FIELDS = ['HostsPath', 'ResolvConfPath', 'HostnamePath', 'LogPath'] as const;

/**
 * `path` moved from data root `from` to `to` when it lies below `from`; otherwise (or when the
 * roots are one) as it was. Paths are compared whole components: /srv/dock is not below /srv/do.
 */
function rebased(path: unknown, from: string, to: string): unknown {
  if (typeof path !== 'string' || from === to) return path;
  return path.startsWith(from + '/') ? to + path.slice(from.length) : path;
}

/**
 * A container config moved from data root `from` to `to`: the files dockerd keeps for it there
 * (hosts, resolv.conf, hostname, its json log), and the source of each named volume of the local
 * driver (volumes/<name>/_data), which --out copies with the rest of the root. A bind mount names
 * the user's own path and stays, even one below the old root. Whether anything changed.
 */
export function rebaseConfig(cfg: Record<string, unknown>, from: string, to: string): boolean {
  let changed = false;
  for (const field of ROOT_PATH_FIELDS) {
    const moved = rebased(cfg[field], from, to);
    if (moved !== cfg[field]) (cfg[field] = moved), (changed = true);
  }
  const mounts = cfg.MountPoints;
  if (isJsonObject(mounts)) {
    for (const mp of Object.values(mounts)) {
      if (!isJsonObject(mp) || mp.Type !== 'volume' || (mp.Driver !== undefined && mp.Driver !== 'local')) continue;
      const moved = rebased(mp.Source, from, to);
      if (moved !== mp.Source) (mp.Source = moved), (changed = true);
    }
  }
  return changed;
}

/**
 * Set `Driver` to overlay2 in every container's config.v2.json (write-then-rename each), and with
 * --out move the paths it holds below the legacy root `from` to the new root (rebaseConfig):
 * dockerd sets some afresh at the next start, but one run with --bridge=none (containers with
 * their network disabled) kept HostsPath and ResolvConfPath, which then bind-mounted the legacy
 * root's files, and empty ones once that root was removed (a review, 2026-12-07). All are read before the first is written, and a bad one
 * stops the commit with the journal kept: fixed, a rerun finishes (migrate checks them all before
 * committing; this is for one changed since).
 */
export function retargetContainers(target: string, from: string = target): string[] {
  const configs = containerConfigFiles(target).map((file): [string, Record<string, unknown>] => {
    try {
      return [file, readContainerConfig(file) as Record<string, unknown>];
    } catch (err) {
      throw new OvlError('EINVAL', `${(err as Error).message}; the commit is half done: fix the file and run migrate again to finish it`, { cause: err });
    }
  });
  const changed: string[] = [];
  for (const [file, cfg] of configs) {
    const rebasedPaths = rebaseConfig(cfg, from, target);
    if (cfg.Driver === 'overlay2' && !rebasedPaths) continue;
    cfg.Driver = 'overlay2';
    writeFileSync(file + '.tmp', JSON.stringify(cfg), { mode: 0o600, flush: true });
    renameSync(file + '.tmp', file);
    changed.push(basename(dirname(file)));
  }
  return changed;
}

/** Run (or finish) the commit phase the journal describes. */
export function commit(staging: string, j: Journal): void {
  const driverDir = join(j.target, 'overlay2');
  if (existsSync(join(staging, 'overlay2'))) renameOnce(join(staging, 'overlay2'), driverDir);
  crashPoint('commit-overlay2');
  if (existsSync(join(staging, 'image', 'overlay2'))) renameOnce(join(staging, 'image', 'overlay2'), join(j.target, 'image', 'overlay2'));
  const rest = join(staging, 'root');
  if (existsSync(rest)) for (const name of readdirSync(rest)) renameOnce(join(rest, name), join(j.target, name));
  for (const [src, dst] of j.moves) {
    renameOnce(src, dst);
    crashPoint('commit-move');
  }
  retargetContainers(j.target, j.root);
  // The journal goes last: killed while cleaning up, a rerun still finds it and finishes.
  for (const name of existsSync(staging) ? readdirSync(staging) : []) if (name !== 'journal.json') rmSync(join(staging, name), { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
}
