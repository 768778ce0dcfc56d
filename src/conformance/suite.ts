// Named suites (suites/<name>.json): what to generate for one area of overlay behaviour — how
// many lowers, which layer objects, which operations with which weights — and the run budgets
// for the CLI and for `npm test`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { LayerEntry, Scenario } from './scenario.js';
import type { OpName } from './ops.js';
import { packageRoot } from './targets.js';

export interface SuiteConfig {
  name: string;
  description: string;
  /** Spec items (overlay-semantics.md) the suite exercises. */
  spec: string[];
  /** Default --runs for the CLI, and the fixed budget `npm test` uses. */
  runs: number;
  testRuns: number;
  /** Min and max number of lowers. */
  lowers: [number, number];
  /** Percentage of lowers that get entries (the rest stay empty; for the many-layers suite). */
  layerDensity?: number;
  /** Path components to build paths from, and the deepest path. */
  names: string[];
  depth: number;
  /** Weights of layer object kinds. */
  entries: Partial<Record<LayerEntry['kind'], number>>;
  maxEntries: number;
  opaqueDirs?: boolean;
  xattrs?: boolean;
  /**
   * Percentage of the ops in USER_OPS that run as uid 1000 instead of root; with it, layer files
   * and dirs may belong to 1000 and dirs get sticky and set-group-ID modes too.
   */
  asUser?: number;
  /** Layer files and dirs may carry POSIX ACLs (access, and default on dirs) naming uid 1000. */
  acls?: boolean;
  /** Weights of operations. */
  ops: Partial<Record<OpName, number>>;
  maxOps: number;
  /** Mount options every scenario of the suite gets. */
  options?: Record<string, string | true>;
  separateLowerFs?: boolean;
  /** A file of fixed scenarios (relative to suites/) run as they are instead of generated ones. */
  corpus?: string;
}

export interface CorpusCase {
  id: string;
  title: string;
  spec: string[];
  scenario: Scenario;
  /** Steps of the original case the scenario language cannot express, if any. */
  notExpressed?: string;
}

/** The fixed scenarios of a corpus suite. */
export function loadCorpus(cfg: SuiteConfig, dir = suitesDir): CorpusCase[] {
  const file = join(dir, cfg.corpus ?? '');
  const data = JSON.parse(readFileSync(file, 'utf8')) as { cases?: CorpusCase[] };
  if (!Array.isArray(data.cases)) throw new UsageError(`${file}: expected {"cases": [...]}`);
  return data.cases;
}

export const suitesDir = join(packageRoot, 'suites');

export function suiteNames(dir = suitesDir): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('divergences'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function loadSuite(name: string, dir = suitesDir): SuiteConfig {
  const names = suiteNames(dir);
  if (!names.includes(name)) throw new UsageError(`--suite ${name}: no such suite (have: ${names.join(', ')})`);
  const s = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as SuiteConfig;
  if (s.name !== name || (!s.corpus && (!Array.isArray(s.lowers) || !s.ops || Object.keys(s.ops).length === 0))) {
    throw new UsageError(`${join(dir, name + '.json')}: a suite needs name (= file name), lowers and ops`);
  }
  return s;
}

/** `--suite all` or a comma list. */
export function resolveSuites(spec: string, dir = suitesDir): SuiteConfig[] {
  // A name given twice is run once: its report would otherwise hold two sets under one name.
  const wanted = spec === 'all' ? suiteNames(dir) : [...new Set(spec.split(',').filter(Boolean))];
  // Running nothing would pass: an empty list is a mistake, not a request.
  if (wanted.length === 0) throw new UsageError(`--suite '${spec}': names no suite (have: all, ${suiteNames(dir).join(', ')})`);
  return wanted.map((n) => loadSuite(n, dir));
}
