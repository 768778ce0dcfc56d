// The layer stack of one mount: the upper (if any) on top, then the lowers top first, as in
// `lowerdir=`. Each layer is a real directory; the merged path `/a/b` lives at `<root>/a/b`.
import { join } from 'node:path';
import type { OverlayConfig } from '../format/index.js';
import { shortPath } from '../sys/long-path.js';

export interface Layer {
  /** Position in the stack: 0 is the top (the upper when there is one). */
  index: number;
  root: string;
  upper: boolean;
  /**
   * Mount points met inside the layer, as paths in it ('/a/b'), and `/proc/self/fd/N` of the
   * clone of the layer's mount through which the dirs beneath them are reached (submounts.ts).
   * Empty and null for almost every layer.
   */
  mounts: string[];
  clone: string | null;
  /** The clone stamps no atime (MOUNT_ATTR_NOATIME was granted). */
  cloneNoatime?: boolean;
  /**
   * Where the layer's root is reached instead of `root` (submounts.ts placeLayers): for a root
   * the overlay's own mount covers, an fd opened on it before the mount; for an upper with a
   * mount point inside, one clone of the mount holding it and the work dir. Null mostly.
   */
  via: string | null;
  /**
   * For a root the overlay's own mount covers: `/proc/self/fd/N/.` of the fd opened on it before
   * the mount, through which the watcher marks and reads its filesystem (a lower's `via` is a
   * guarded clone made from it); null for every other layer.
   */
  covered: string | null;
}

export interface LayerStack {
  all: Layer[];
  upper: Layer | null;
  lowers: Layer[];
  /**
   * Data-only lower layers (`lowerdir=l1::d1`, `datadir+=`), below every other and never merged:
   * only a metacopy file's absolute `redirect` reaches into them (lookup.ts dataOnlyHit).
   */
  data: Layer[];
  /**
   * `workdir/work`: where copy-up and whiteout temporaries are built (null when read-only);
   * reached through the upper's clone when the upper has one (Layer.via).
   */
  work: string | null;
}

export function layerStack(cfg: OverlayConfig): LayerStack {
  const all: Layer[] = [];
  const upper = cfg.upperdir !== undefined ? newLayer(0, cfg.upperdir, true) : null;
  if (upper) all.push(upper);
  for (const root of cfg.lowerdirs) all.push(newLayer(all.length, root, false));
  return {
    all,
    upper,
    lowers: all.filter((l) => !l.upper),
    data: (cfg.datadirs ?? []).map((root, i) => newLayer(all.length + i, root, false)),
    work: cfg.workdir !== undefined && upper ? join(cfg.workdir, 'work') : null,
  };
}

function newLayer(index: number, root: string, upper: boolean): Layer {
  return { index, root, upper, mounts: [], clone: null, via: null, covered: null };
}

/** Layer dirs (canonical) that the overlay's own mount covers, each with an O_PATH fd opened on it before the mount. */
export type Covered = Record<string, number>;

/**
 * The dirs among `dirs` (canonical) that a mount at `at` covers: `at` itself or below it, so
 * that once mounted their paths lead into the overlay (mounted on its own lower, `lowerdir=/etc
 * … /etc`). The daemon reaches them by fds opened before the mount (submounts.ts placeLayers),
 * as the kernel's overlay keeps the layers it resolved at mount time.
 */
export function coveredDirs(dirs: ReadonlyArray<string | undefined>, at: string): string[] {
  return dirs.filter((d): d is string => d !== undefined && inside(d, at));
}

/** Is canonical path `a` the dir `b` or below it? */
export function inside(a: string, b: string): boolean {
  return a === b || a.startsWith(b.endsWith('/') ? b : b + '/');
}

/** Real path of merged path `path` ('/' or '/a/b') inside `root` (shortened when near PATH_MAX). */
export function realPath(root: string, path: string): string {
  return path === '/' ? root : shortPath(root + path);
}

/** Real path of `name` in the real dir `dir` (shortened when near PATH_MAX). */
export function realChild(dir: string, name: string): string {
  return shortPath(dir + '/' + name);
}

/** Parent merged path and last name of a merged path ('/a/b' → ['/a', 'b']). */
export function splitPath(path: string): [string, string] {
  const i = path.lastIndexOf('/');
  return [i <= 0 ? '/' : path.slice(0, i), path.slice(i + 1)];
}

/** Join a merged parent path and a name. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? '/' + name : parent + '/' + name;
}
