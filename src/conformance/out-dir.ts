// `--out`: checked, and created, before the first scenario runs, so that a report dir that
// cannot be written fails the command line instead of losing a finished run. Created one level
// at a time: Node's recursive mkdir loops forever on some errnos (an ENOENT from /proc/x).
import { mkdirSync, mkdtempSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';

/** The absolute `--out` dir, made if missing and shown writable by a probe dir; a usage error otherwise. */
export function prepareOutDir(out: string): string {
  const abs = resolve(out);
  const fail = (why: string, cause?: unknown): never => {
    throw new UsageError(`--out ${out}: ${why}`, { cause });
  };
  const missing: string[] = [];
  let at = abs;
  let st: Stats | undefined;
  for (;;) {
    try {
      st = statSync(at);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) fail((e as Error).message, e);
      missing.unshift(at);
      at = dirname(at);
    }
  }
  if (!st.isDirectory()) fail(`${at} is not a directory`);
  const made: string[] = [];
  try {
    for (const d of missing) {
      mkdirSync(d);
      made.push(d);
    }
    rmdirSync(mkdtempSync(join(abs, '.ovl-check-probe-')));
  } catch (e) {
    // Bad input leaves nothing behind.
    for (const d of made.reverse()) rmdirSync(d);
    fail(`cannot write reports there: ${(e as Error).message}`, e);
  }
  return abs;
}
