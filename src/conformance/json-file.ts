// The JSON files a user hands ovl-check (a saved divergence, reference traces, the regression
// corpus, the accepted-divergence list): one that is missing or not JSON is a usage error (exit 2)
// naming the file and what it was read as.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { DivergenceFile } from './report/write.js';
import { OP_NAMES } from './ops.js';
import type { LayerEntry, Scenario } from './scenario.js';
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

const ENTRY_KINDS: Record<LayerEntry['kind'], true> = {
  file: true, dir: true, symlink: true, hardlink: true, fifo: true, chr: true, whiteout: true, xwhiteout: true, exe: true,
};

function layerProblem(l: unknown, where: string): string | undefined {
  if (!isObject(l) || !Array.isArray(l.entries)) return `${where}: not a layer ({"entries": [...]})`;
  const i = l.entries.findIndex((e) => !isObject(e) || typeof e.path !== 'string' || typeof e.kind !== 'string' || !(e.kind in ENTRY_KINDS));
  return i < 0 ? undefined : `${where}.entries[${i}]: not a layer entry (a path and one of the kinds ${Object.keys(ENTRY_KINDS).join(', ')})`;
}

/**
 * What makes `s` (read from a file the user gave, e.g. a hand-edited divergence) not a scenario
 * ovl-check can run, or undefined. A review found an unknown op skipped and a missing part an
 * internal error; each is now refused by name before anything runs.
 */
function scenarioProblem(s: unknown): string | undefined {
  if (!isObject(s)) return 'the scenario is not an object';
  if (!Array.isArray(s.lowers) || s.lowers.length === 0) return 'scenario.lowers: not a list of at least one layer';
  for (let i = 0; i < s.lowers.length; i++) {
    const p = layerProblem(s.lowers[i], `scenario.lowers[${i}]`);
    if (p) return p;
  }
  const up = layerProblem(s.upper, 'scenario.upper');
  if (up) return up;
  if (!Array.isArray(s.ops)) return 'scenario.ops: not a list';
  const bad = s.ops.findIndex((o) => !isObject(o) || typeof o.op !== 'string' || !OP_NAMES.has(o.op));
  if (bad >= 0) {
    const o = s.ops[bad] as unknown;
    return `scenario.ops[${bad}]: ${isObject(o) && typeof o.op === 'string' ? `unknown op ${JSON.stringify(o.op)}` : 'not an op'}`;
  }
  if (s.options !== undefined && !isObject(s.options)) return 'scenario.options: not an object of mount options';
  if (s.separateLowerFs !== undefined && typeof s.separateLowerFs !== 'boolean') return 'scenario.separateLowerFs: not true or false';
  return undefined;
}

/** A divergence file as `ovl-check run` writes it (divergence-*.json), checked to have a scenario. */
export function readDivergenceFile(file: string, what: string, suites: readonly string[]): DivergenceFile {
  const d = readJsonFile<unknown>(file, what);
  if (!isObject(d) || !d.scenario || typeof d.suite !== 'string') throw new UsageError(`${file}: not an ovl-check divergence file (no scenario)`);
  const problem = scenarioProblem(d.scenario);
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
