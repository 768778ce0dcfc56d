// Writes a run's report dir: summary.json, junit.xml, report.md, report.html, traces.json (when recording),
// and per unexpected divergence its minimal scenario as JSON plus a standalone repro script.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SuiteResult } from '../session.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import type { RunModel } from './model.js';
import { renderRepro } from './repro.js';
import { renderSummary } from './summary.js';

/** `reports/2026-11-26T21-30-00Z-fuse`: sortable and safe as a file name. */
export function reportDirName(startedAt: string, target: string): string {
  const t = startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const name = target.startsWith('exec:') ? 'exec-' + (target.slice(5).trim().split(/\s+/)[0] ?? '').split('/').pop() : target;
  return `${t}-${name.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/**
 * Make run dir `name` in `out` and return its path: `name-2`, `name-3`… when another run of the
 * same target started in the same second made it first (two runs must not share a report).
 */
export function claimReportDir(out: string, name: string): string {
  for (let n = 1; ; n++) {
    const dir = join(out, n === 1 ? name : `${name}-${n}`);
    try {
      mkdirSync(dir);
      return dir;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST' || n >= 1000) throw err;
    }
  }
}

/** The saved form of a divergence: what --replay reads back. */
export interface DivergenceFile {
  id: string;
  suite: string;
  seed: number;
  target: string;
  run: number;
  shrinks: number;
  shrunk: boolean;
  fcPath: string | null;
  scenario: unknown;
  differences: unknown;
  reference: unknown;
  targetTrace: unknown;
  original: unknown;
}

export function writeReport(dir: string, m: RunModel, suites: SuiteResult[], exitCode: number, { traces = false } = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'summary.json'), renderSummary(m, exitCode));
  writeFileSync(join(dir, 'report.html'), renderHtml(m, JSON.parse(renderSummary(m, exitCode))));
  writeFileSync(join(dir, 'junit.xml'), renderJunit(m));
  writeFileSync(join(dir, 'report.md'), renderMarkdown(m));
  for (const u of m.unexpected) {
    const file: DivergenceFile = {
      id: u.id,
      suite: u.suite,
      seed: m.info.seed,
      target: m.info.target,
      run: u.run,
      shrinks: u.shrinks,
      shrunk: u.shrunk,
      fcPath: u.fcPath ?? null,
      scenario: u.minimal.scenario,
      differences: u.minimal.classified,
      reference: u.minimal.reference ?? null,
      targetTrace: u.minimal.target,
      original: u.original,
    };
    writeFileSync(join(dir, u.json), JSON.stringify(file, null, 2) + '\n');
    const script = join(dir, u.repro);
    const parting = u.partingOp !== undefined ? { parting: u.partingOp } : {};
    writeFileSync(script, renderRepro(u.minimal, { id: u.id, suite: u.suite, seed: m.info.seed, target: m.info.target, ...parting }));
    chmodSync(script, 0o755);
  }
  if (traces) {
    const recorded = Object.fromEntries(
      suites.map((s) => [s.suite, s.results.map((r) => ({ index: r.index, scenario: r.scenario, trace: r.target }))]),
    );
    writeFileSync(join(dir, 'traces.json'), JSON.stringify({ tool: 'ovl-check', seed: m.info.seed, target: m.info.target, suites: recorded }) + '\n');
  }
}
