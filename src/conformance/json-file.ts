// The JSON files a user hands ovl-check (a saved divergence, reference traces, the regression
// corpus, the accepted-divergence list): one that is missing or not JSON is a usage error (exit 2)
// naming the file and what it was read as.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { DivergenceFile } from './report/write.js';

/** Parse `file` as JSON; `what` says what it was meant to be ("the regression corpus"). */
export function readJsonFile<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UsageError(`${file}: cannot read ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** A divergence file as `ovl-check run` writes it (divergence-*.json), checked to have a scenario. */
export function readDivergenceFile(file: string, what: string): DivergenceFile {
  const d = readJsonFile<DivergenceFile>(file, what);
  if (!d.scenario || typeof d.suite !== 'string') throw new UsageError(`${file}: not an ovl-check divergence file (no scenario)`);
  return d;
}
