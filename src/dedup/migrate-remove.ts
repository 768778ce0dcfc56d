// --remove-legacy's half of migrate: refusing while chattr +i/+a keeps any legacy entry from being
// removed, removing `image/overlay/` and `overlay/` so that a stopped removal is finished by the next
// run, and telling the plan which legacy files link(2) refuses (they are copied, not shared).
import { join } from 'node:path';
import { lstatSync, renameSync } from '../sys/fs-bytes.js';
import { lstatAttributes, pinFlag } from '../sys/statx.js';
import { firstPinned, mkdirs, pinnedError, removeTree } from './output-fs.js';

/**
 * Where --remove-legacy moves `image/overlay/` and `overlay/` (two renames) before deleting them:
 * a removal stopped anywhere is found and finished by the next run.
 */
export const REMOVING = '.ovl-migrate-removing';

function legacyParts(root: string): Array<[from: string, to: string]> {
  const trash = join(root, REMOVING);
  return [[join(root, 'image', 'overlay'), join(trash, 'image-overlay')], [join(root, 'overlay'), join(trash, 'overlay')]];
}

export const exists = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false }) !== undefined;

/**
 * Refuse (exit 2, nothing removed) when chattr +i/+a keeps any entry of the legacy store from being
 * removed, or the dirs holding it from giving up its two dirs (the root, image/: a read-over saw a
 * raw EPERM at the rename).
 */
export function refusePinned(root: string): void {
  for (const dir of [root, join(root, 'image')]) {
    const flag = pinFlag(lstatAttributes(dir).attributes);
    if (flag) throw pinnedError({ path: dir, flag }, 'the legacy store in it');
  }
  for (const dir of [join(root, REMOVING), ...legacyParts(root).map(([from]) => from)]) {
    const pinned = exists(dir) ? firstPinned(dir) : null;
    if (pinned) throw pinnedError(pinned, 'the legacy store');
  }
}

export function removeLegacy(root: string): void {
  refusePinned(root);
  mkdirs(join(root, REMOVING), 0o700);
  for (const [from, to] of legacyParts(root)) if (exists(from)) renameSync(from, to);
  removeTree(join(root, REMOVING), 'the legacy store');
}

/**
 * A removal a killed or failed run began: its trash dir. Not overlay/ left without image/overlay/
 * (what the two rmSync of the removal before 2026-12-07 could leave): that may as well be a root
 * whose image/overlay/ someone removed by hand, with data nothing verified (a read-over); it is
 * named instead (removeAfterwards).
 */
export function removalBegun(root: string): boolean {
  return exists(join(root, REMOVING));
}

/** link() refuses a file with chattr +i or +a (EPERM): migrate copies it. */
export function unlinkable(path: string): boolean {
  try {
    return pinFlag(lstatAttributes(path).attributes) !== null;
  } catch {
    return false;
  }
}
