// Report files (--json FILE, --html FILE) checked before any work: a typo in the path must be a
// usage error up front, not an internal error after a long scan, or after migrate has committed.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
