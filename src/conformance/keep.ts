// The regression corpus: minimal scenarios of divergences worth keeping, appended from a saved
// divergence file and replayed by the `regressions` suite on every run (suites/corpus/regressions.json).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readDivergenceFile, readJsonFile } from './json-file.js';
import type { CorpusCase } from './suite.js';
import { suiteNames, suitesDir } from './suite.js';

export const regressionsFile = join(suitesDir, 'corpus', 'regressions.json');

interface CorpusFile {
  about?: string;
  cases: CorpusCase[];
}

/** Append the minimal scenario of `divergenceFile` to `corpusFile` under `id`; returns the case. */
export function keepDivergence(divergenceFile: string, opts: { id?: string; title?: string; corpusFile?: string } = {}): CorpusCase {
  const d = readDivergenceFile(divergenceFile, 'the divergence to keep', suiteNames());
  const file = opts.corpusFile ?? regressionsFile;
  const corpus = readJsonFile<CorpusFile>(file, 'the regression corpus');
  const id = opts.id ?? `${d.suite}-${d.seed}-run${d.run}`;
  if (corpus.cases.some((c) => c.id === id)) throw new UsageError(`${file}: already has a case ${id}; pass --id`);
  // Name the case after what was unexpected, not after differences a rule accepts.
  const diffs = d.differences as Array<{ accepted?: string; difference: { where: string; field: string; path?: string } }>;
  const first = diffs.find((c) => !c.accepted)?.difference;
  const target = d.target.startsWith('exec:') ? 'exec' : d.target;
  const title = opts.title ?? (first ? `${target}: ${first.where}${first.path ? ' ' + first.path : ''} ${first.field}` : d.id);
  const c: CorpusCase = { id, title, spec: [], scenario: d.scenario as CorpusCase['scenario'] };
  corpus.cases.push(c);
  writeFileSync(file, JSON.stringify(corpus, null, 1) + '\n');
  return c;
}
