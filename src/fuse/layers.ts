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
}

export interface LayerStack {
  all: Layer[];
  upper: Layer | null;
  lowers: Layer[];
  /** `workdir/work`: where copy-up and whiteout temporaries are built (null when read-only). */
  work: string | null;
}

export function layerStack(cfg: OverlayConfig): LayerStack {
  const all: Layer[] = [];
  const upper = cfg.upperdir !== undefined ? { index: 0, root: cfg.upperdir, upper: true } : null;
  if (upper) all.push(upper);
  for (const root of cfg.lowerdirs) all.push({ index: all.length, root, upper: false });
  return {
    all,
    upper,
    lowers: all.filter((l) => !l.upper),
    work: cfg.workdir !== undefined && upper ? join(cfg.workdir, 'work') : null,
  };
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
