// The JSON files a user hands ovl-check (a saved divergence, reference traces, the regression
// corpus, the accepted-divergence list): one that is missing or not JSON is a usage error (exit 2)
// naming the file and what it was read as.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { DivergenceFile } from './report/write.js';
import { OP_NAMES } from './ops.js';
import { type Scenario, scenarioProblem } from './scenario.js';
import type { Trace } from './trace.js';

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse `file` as JSON; `what` says what it was meant to be ("the regression corpus"). */
export function readJsonFile<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new UsageError(`${file}: cannot read ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** A divergence file as `ovl-check run` writes it (divergence-*.json), checked to have a scenario. */
export function readDivergenceFile(file: string, what: string, suites: readonly string[]): DivergenceFile {
  const d = readJsonFile<unknown>(file, what);
  if (!isObject(d) || !d.scenario || typeof d.suite !== 'string') throw new UsageError(`${file}: not an ovl-check divergence file (no scenario)`);
  const problem = scenarioProblem(d.scenario, OP_NAMES);
  if (problem !== undefined) throw new UsageError(`${file}: ${problem}`);
  if (!suites.includes(d.suite)) throw new UsageError(`${file}: suite ${JSON.stringify(d.suite)} is none of ovl-check's (${suites.join(', ')})`);
  return d as unknown as DivergenceFile;
}

/** One recorded scenario of a traces.json, as report/write.ts writes it from a `--target kernel` run. */
export interface RecordedRun {
  index: number;
  scenario: Scenario;
  trace: Trace;
}

/**
 * Is `r` a recorded run whose trace can judge a target? diffTraces skips a tree or ops the
 * reference lacks, so a trace that ended without a failure must have all the runner records then.
 */
function isRecordedRun(r: unknown): r is RecordedRun {
  if (!isObject(r) || typeof r.index !== 'number' || !isObject(r.scenario) || !isObject(r.trace)) return false;
  const { lowers, upper, ops } = r.scenario;
  const t = r.trace;
  if (!Array.isArray(lowers) || !isObject(upper) || !Array.isArray(ops) || !Array.isArray(t.ops) || !isObject(t.skipped)) return false;
  if (t.failure !== undefined) return isObject(t.failure);
  const mutates = ops.some((o) => isObject(o) && o.op === 'mutate');
  return t.ops.length === ops.length && [t.merged, t.upper, t.lowers].every(Array.isArray) && (!mutates || Array.isArray(t.remounted));
}

/** The recorded kernel traces (`--reference`) of every suite in `suites`, checked before anything runs. */
export function readReferenceTraces(file: string, suites: string[]): Record<string, RecordedRun[]> {
  const d = readJsonFile<unknown>(file, 'the reference traces');
  const recorded = isObject(d) && isObject(d.suites) ? d.suites : undefined;
  if (!recorded) throw new UsageError(`${file}: not the traces.json of a --target kernel run (no "suites" object)`);
  for (const name of suites) {
    const runs = recorded[name];
    if (runs === undefined || (Array.isArray(runs) && runs.length === 0)) {
      throw new UsageError(`${file}: has no traces for suite ${name}` + (runs === undefined ? ` (has: ${Object.keys(recorded).join(', ') || 'none'})` : ''));
    }
    if (!Array.isArray(runs)) throw new UsageError(`${file}: suite ${name}: expected a list of recorded scenarios, found ${runs === null ? 'null' : typeof runs}`);
    const bad = runs.findIndex((r) => !isRecordedRun(r));
    if (bad >= 0) throw new UsageError(`${file}: suite ${name}, scenario ${bad}: expected {index, scenario, trace} as a --target kernel run records them`);
  }
  return recorded as Record<string, RecordedRun[]>;
}
