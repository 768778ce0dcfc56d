// Small read-only helpers for the metadata files of a data root. A missing or broken file is a
// warning with its path, never an exception: analyze goes on with whatever is readable. Files and
// dirs are read with O_NOATIME, as the layers are: analyze leaves the root's atimes as they were
// (a review found 48 metadata files and dirs stamped, 2026-12-07).
import { readFileNoatime, readdirNoatime } from '../sys/dirents.js';
import { statSync } from '../sys/fs-bytes.js';
import type { Warning } from './types.js';

export class WarningLog {
  readonly list: Warning[] = [];

  add(path: string, reason: string): void {
    this.list.push({ path, reason });
  }
}

function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}

/** File text, or null (with a warning unless `optional` and it does not exist). */
export function readText(path: string, log: WarningLog, optional = false): string | null {
  try {
    return readFileNoatime(path, 'utf8');
  } catch (err) {
    if (!(optional && (err as { code?: string }).code === 'ENOENT')) log.add(path, `cannot read: ${reasonOf(err)}`);
    return null;
  }
}

/** A JSON object (not null, not an array): what every metadata file of a store holds at its top. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parsed JSON, or undefined with a warning naming the path (truncated or corrupt files happen after
 * crashes). undefined, not null: a file holding `null` parses fine and is the caller's to judge.
 */
export function readJson(path: string, log: WarningLog, optional = false): unknown {
  const text = readText(path, log, optional);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    log.add(path, `invalid JSON (${(err as Error).message})`);
    return undefined;
  }
}

/** Names in a directory, sorted; [] with a warning when unreadable, [] silently when absent and optional. */
export function listDir(path: string, log: WarningLog, optional = false): string[] {
  try {
    return readdirNoatime(path).sort();
  } catch (err) {
    if (!(optional && (err as { code?: string }).code === 'ENOENT')) log.add(path, `cannot list: ${reasonOf(err)}`);
    return [];
  }
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
