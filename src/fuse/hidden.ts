// Open files that are unlinked. libfuse's high-level API keeps such a file reachable by renaming
// it to `.fuse_hidden<16 hex>` and unlinking that name on the last release; fstat() of the open
// file then asks for the hidden path (the kernel sends no file handle with it). The overlay does
// the real unlink at once (whiteout and all) and serves the hidden name from the open fd, so no
// hidden name ever reaches a layer and a lower file is never copied up just to be deleted.
import { fstatReal } from '../sys/real-stat.js';
import { type FuseStat, fuseStat } from '../sys/fuse-native.js';
import { removeAt } from './create.js';
import { fail } from './errno.js';
import type { Handle } from './handles.js';
import { splitPath } from './layers.js';
import { lookupDir, lookupPath } from './lookup.js';
import { refuseDelete } from './protect.js';
import { current } from './ops-file.js';
import type { Overlay } from './overlay.js';

/** libfuse 2.9's hidden_name(): ".fuse_hidden%08x%08x". */
const HIDDEN_NAME = /^\.fuse_hidden[0-9a-f]{16}$/;

/** Is this rename libfuse hiding an open file (and not a user's rename to a look-alike name)? */
export function isHideRename(ovl: Overlay, src: string, dest: string): boolean {
  if (!HIDDEN_NAME.test(splitPath(dest)[1])) return false;
  return ovl.handles.onPath(src).size > 0;
}

/** Keep open handles' paths current when a name or a dir above them moves (`isDir`: unless known to be a file). */
export function moveHandles(ovl: Overlay, src: string, dest: string, isDir = true): void {
  ovl.handles.movePaths(src, dest, isDir);
}

/** libfuse hides an open `path` by renaming it to `hiddenPath`: unlink it and retarget its handles. */
export function hideOpenFile(ovl: Overlay, path: string, hiddenPath: string): void {
  const node = lookupPath(ovl, path);
  if (node.isDir) fail('EISDIR', path);
  // The unlink (or the rename over it) this hiding stands for is refused before anything goes.
  refuseDelete(ovl, lookupDir(ovl, splitPath(path)[0]), node, path);
  removeAt(ovl, path, node);
  for (const fh of [...ovl.handles.onPath(path)]) ovl.handles.setPath(fh, hiddenPath);
  ovl.hidden.add(hiddenPath);
}

function handleFor(ovl: Overlay, hiddenPath: string): [number, Handle] | undefined {
  for (const fh of ovl.handles.onPath(hiddenPath)) return [fh, ovl.handles.get(fh)!];
  return undefined;
}

/** Stat of a hidden (unlinked, still open) file, or null when `path` is not one. */
export function hiddenStat(ovl: Overlay, path: string): FuseStat | null {
  if (!ovl.hidden.has(path)) return null;
  const found = handleFor(ovl, path) ?? fail('ENOENT', path);
  const h = current(ovl, found[0]);
  return fuseStat(fstatReal(h.fd), h.ino);
}

/** libfuse's final unlink of a hidden name: the real unlink happened already. */
export function forgetHidden(ovl: Overlay, path: string): boolean {
  return ovl.hidden.delete(path);
}
