// Report files (--json FILE, --html FILE) checked before any work: a typo in the path must be a
// usage error up front, not an internal error after a long scan, or after migrate has committed.
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';

/** Throws a UsageError (exit 2) naming `flag` and `path` when a report file cannot be written there. */
export function checkOutputPath(flag: string, path: string): void {
  const abs = resolve(path);
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
export function isInside(path: string, root: string, hops = 0): boolean {
  const abs = resolve(path);
  if (hops < MAX_SYMLINKS && !existsSync(abs)) {
    try {
      if (lstatSync(abs).isSymbolicLink()) {
        // Relative to the link's real dir: `..` in its target is taken physically.
        return isInside(resolve(realpathSync(dirname(abs)), readlinkSync(abs)), root, hops + 1);
      }
    } catch {
      // nothing there, not even a link
    }
  }
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
