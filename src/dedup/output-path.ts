// Report files (--json FILE, --html FILE) checked before any work: a typo in the path must be a
// usage error up front, not an internal error after a long scan, or after migrate has committed.
import { constants } from 'node:fs';
import { accessSync, existsSync, lstatSync, readlinkSync, realpathSync, statSync, writeFileSync } from '../sys/fs-bytes.js';
import { dirname, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';

/** Throws a UsageError (exit 2) naming `flag` and `path` when a report file cannot be written there. */
export function checkOutputPath(flag: string, path: string): void {
  // A dangling symlink is written through: its target's dir is the one that must exist.
  const abs = danglingTarget(resolve(path)) ?? resolve(path);
  const parent = dirname(abs);
  const kind = (p: string): 'dir' | 'other' | 'none' => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'other';
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return 'none';
      // EACCES on a parent, ELOOP…: say so rather than "no such directory".
      throw new UsageError(`${flag} ${path}: cannot reach ${p} (${code ?? String(err)})`, { code, cause: err });
    }
  };
  if (kind(abs) === 'dir') throw new UsageError(`${flag} ${path}: is a directory`, { code: 'EISDIR' });
  const up = kind(parent);
  if (up === 'none') throw new UsageError(`${flag} ${path}: no such directory ${parent}`, { code: 'ENOENT' });
  if (up === 'other') throw new UsageError(`${flag} ${path}: ${parent} is not a directory`, { code: 'ENOTDIR' });
  try {
    accessSync(kind(abs) === 'none' ? parent : abs, constants.W_OK);
  } catch (err) {
    throw new UsageError(`${flag} ${path}: not writable`, { code: 'EACCES', cause: err });
  }
}

/**
 * `--json FILE` of convert and migrate, checked before any work (after a commit a failed report
 * write would read as a failed migration): '-' is stdout; a file must be writable, and outside
 * the data root `root` (a real path), also through a dangling symlink.
 */
export function checkJsonOption(json: string | undefined, root: string): void {
  if (json === undefined || json === '-') return;
  if (isInside(json, root)) throw new UsageError(`--json ${json}: inside the data root ${root}; write it elsewhere`);
  checkOutputPath('--json', json);
}

/** The result as `--json` asks (a file, or stdout for '-', the text then left out, as analyze does), and the text. */
export function emitResult(io: { stdout: { write(s: string): unknown } }, json: string | undefined, value: unknown, text: () => string): void {
  const body = JSON.stringify(value, null, 2) + '\n';
  if (json === '-') {
    io.stdout.write(body);
    return;
  }
  if (json !== undefined) writeFileSync(json, body);
  io.stdout.write(text());
}

/** Symlinks a path resolution follows at most (the kernel's MAXSYMLINKS). */
const MAX_SYMLINKS = 40;

/**
 * True when `path` (which may not exist yet) lies inside `root` (a real path). A dangling symlink
 * counts where its target lies: writing to it creates the target (a review found `--json` given
 * as such a link into the root written there).
 */
export function isInside(path: string, root: string): boolean {
  const abs = danglingTarget(resolve(path)) ?? resolve(path);
  let p = abs;
  // Resolve the deepest existing ancestor so symlinks cannot smuggle a path into the root.
  for (let probe = p; ; probe = dirname(probe)) {
    try {
      p = resolve(realpathSync(probe), abs.slice(probe.length + 1));
      break;
    } catch {
      if (dirname(probe) === probe) break;
    }
  }
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Where a write to `abs` creates a file when `abs` is a dangling symlink (through a chain of them,
 * at most MAX_SYMLINKS): its final target, each relative to its link's real dir (`..` taken
 * physically). undefined when `abs` is no dangling link.
 */
function danglingTarget(abs: string): string | undefined {
  let p = abs;
  for (let hops = 0; hops < MAX_SYMLINKS && !existsSync(p); hops++) {
    try {
      if (!lstatSync(p).isSymbolicLink()) break;
      p = resolve(realpathSync(dirname(p)), readlinkSync(p));
    } catch {
      break; // nothing there, not even a link
    }
  }
  return p === abs ? undefined : p;
}
