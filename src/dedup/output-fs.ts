// Making and removing the dirs convert and migrate write, with failures that name the path and
// the real errno. node's recursive mkdir answers ENOENT on a read-only filesystem (EROFS), and its
// recursive rm answers ENOTDIR for a file it may not unlink (chattr +i/+a: EPERM): a review saw
// both as "internal error" with the wrong cause, and a --remove-legacy that stopped halfway.
import { dirname } from 'node:path';
import { OvlError, UsageError, errnoCodeOf } from '../errors.js';
import { readdirNoatime } from '../sys/dirents.js';
import { lstatSync, mkdirSync, rmSync } from '../sys/fs-bytes.js';
import { FS_APPEND_FL, FS_IMMUTABLE_FL, inodeFlagsOf, setInodeFlags } from '../sys/fileattr.js';
import { lstatAttributes, pinFlag } from '../sys/statx.js';

/** A node:fs or src/sys failure of an output-side step as an OvlError naming the path and its errno. */
export function outputError(err: unknown, fallbackPath: string): unknown {
  if (err instanceof OvlError || err instanceof UsageError) return err;
  const e = err as { code?: unknown; syscall?: unknown; path?: unknown; dest?: unknown };
  if (typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code)) return err;
  // node names a symlink's target as `path` and the link being made as `dest`.
  const made = e.syscall === 'symlink' ? e.dest : e.path;
  const path = typeof made === 'string' ? made : fallbackPath;
  return new OvlError(errnoCodeOf(err), `${typeof e.syscall === 'string' ? e.syscall : 'write'} failed: ${e.code}`, { path, cause: err });
}

/** Run `fn`, reporting a system error it throws as outputError does. */
export function withOutputErrors<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw outputError(err, where);
  }
}

/** mkdir -p `path`, each level with `mode`, failing with the errno of the level that failed. */
export function mkdirs(path: string, mode = 0o777): void {
  try {
    mkdirSync(path, { mode });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EEXIST' && lstatSync(path, { throwIfNoEntry: false })?.isDirectory()) return;
    if (code !== 'ENOENT' || dirname(path) === path) throw outputError(err, path);
    mkdirs(dirname(path), mode);
    withOutputErrors(path, () => mkdirSync(path, { mode }));
  }
}

export interface Pinned {
  path: string;
  /** chattr's letter: i (immutable) or a (append-only) */
  flag: 'i' | 'a';
}

/** The first entry at or below `top` (not following links) that chattr +i or +a keeps from being removed; null if none. */
export function firstPinned(top: string): Pinned | null {
  let found: Pinned | null = null;
  walkPinned(top, (p) => {
    found = p;
    return true;
  });
  return found;
}

/** Each pinned entry at or below `top` to `visit`, in path order, until it returns true. */
function walkPinned(top: string, visit: (p: Pinned) => boolean): void {
  const stack = [top];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const { dir, attributes } = withOutputErrors(path, () => lstatAttributes(path));
    const flag = pinFlag(attributes);
    if (flag && visit({ path, flag })) return;
    if (dir) for (const name of withOutputErrors(path, () => readdirNoatime(path)).sort().reverse()) stack.push(`${path}/${name}`);
  }
}

/** The one-line refusal for a pinned entry: what it is and what to do. */
export function pinnedError(p: Pinned, what: string): UsageError {
  const kind = p.flag === 'i' ? 'immutable' : 'append-only';
  return new UsageError(`${p.path}: ${kind} (chattr +${p.flag}), so ${what} cannot be removed; run chattr -${p.flag} on it and run again (EPERM)`, { code: 'EPERM' });
}

/** rm -rf `path` (absent: nothing to do), refusing before removing anything when an entry is pinned by +i/+a. */
export function removeTree(path: string, what = path): void {
  if (lstatSync(path, { throwIfNoEntry: false }) === undefined) return;
  const pinned = firstPinned(path);
  if (pinned) throw pinnedError(pinned, what);
  withOutputErrors(path, () => rmSync(path, { recursive: true, force: true }));
}


/**
 * rm -rf a tree this tool wrote itself and now redoes (a staged container layer, a metadata copy):
 * the +i/+a it copied from the legacy root are cleared first.
 */
export function removeOwnTree(path: string): void {
  if (lstatSync(path, { throwIfNoEntry: false }) === undefined) return;
  walkPinned(path, (p) => {
    withOutputErrors(p.path, () => setInodeFlags(p.path, inodeFlagsOf(p.path) & ~(FS_IMMUTABLE_FL | FS_APPEND_FL)));
    return false;
  });
  withOutputErrors(path, () => rmSync(path, { recursive: true, force: true }));
}

/**
 * After a layer failed (ENOSPC, say): remove its half-written dir `tmp`, so it holds no space, and
 * return the failure as outputError reports it (a second failure while removing does not hide it).
 */
export function dropFailed(tmp: string, err: unknown): unknown {
  try {
    removeOwnTree(tmp);
  } catch {
    // the first failure is the one to report; a rerun removes what is left
  }
  return outputError(err, tmp);
}
