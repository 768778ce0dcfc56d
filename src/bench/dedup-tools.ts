// The duplicate finders of the dedup section and how each one's answer is read back and checked
// against the generated root's known duplicates: groups, redundant files (and bytes where the tool
// says them). A tool that finds other duplicates FAILs instead of posting a time.
import { readFileSync } from 'node:fs';
import { firstLine, runTool, type ToolResult } from '../sys/index.js';
import type { DedupExpect } from './dedup-gen.js';
import { expect } from './record.js';

export interface DedupTool {
  name: string;
  /** run the tool on the generated root (timed by the caller) */
  run(root: string, exp: DedupExpect, scratch: string, timeoutMs: number): Promise<ToolResult>;
  /** check its answer; throws CheckFailed */
  check(r: ToolResult, exp: DedupExpect, scratch: string): void;
}

function groupsMatch(name: string, groups: number, redundant: number, exp: DedupExpect): void {
  expect(groups === exp.groups && redundant === exp.redundantFiles, `${name} found ${groups} groups / ${redundant} redundant files, expected ${exp.groups} / ${exp.redundantFiles}`);
}

/** jdupes prints each group's paths, one per line, groups separated by a blank line. */
export const jdupes: DedupTool = {
  name: 'jdupes',
  run: (_root, exp, _s, timeoutMs) => runTool('jdupes', ['-r', '-q', ...exp.diffDirs], { timeoutMs }),
  check(r, exp) {
    expect(r.exitCode === 0, `jdupes: ${firstLine(r)}`);
    const groups = r.stdout.split(/\n\s*\n/).map((g) => g.split('\n').filter((l) => l.length > 0)).filter((g) => g.length > 0);
    groupsMatch('jdupes', groups.length, groups.reduce((n, g) => n + g.length - 1, 0), exp);
  },
};

/** rdfind -dryrun writes results.txt: one DUPTYPE_FIRST_OCCURRENCE line per group, then its copies. */
export const rdfind: DedupTool = {
  name: 'rdfind',
  run: (_root, exp, scratch, timeoutMs) => runTool('rdfind', ['-dryrun', 'true', '-outputname', `${scratch}/rdfind-results.txt`, ...exp.diffDirs], { timeoutMs, cwd: scratch }),
  check(r, exp, scratch) {
    expect(r.exitCode === 0, `rdfind: ${firstLine(r)}`);
    const lines = readFileSync(`${scratch}/rdfind-results.txt`, 'utf8').split('\n');
    const groups = lines.filter((l) => l.startsWith('DUPTYPE_FIRST_OCCURRENCE')).length;
    const copies = lines.filter((l) => l.startsWith('DUPTYPE_WITHIN_SAME_TREE') || l.startsWith('DUPTYPE_OUTSIDE_TREE')).length;
    groupsMatch('rdfind', groups, copies, exp);
  },
};

interface AnalyzeJson {
  stores?: Array<{ driver?: string }>;
  imageLayers?: { entries?: number };
  images?: unknown[];
  duplicates?: { groups?: unknown[]; redundantInodes?: number; redundantBytes?: number };
}

/** ovl-dedup's JSON contract: imageLayers.entries, images[], duplicates.{groups, redundantInodes, redundantBytes}. */
export function ovlDedup(bin: string): DedupTool {
  return {
    name: 'ovl-dedup',
    run: (root, _e, _s, timeoutMs) => runTool(process.execPath, [bin, 'analyze', root, '--json', '-'], { timeoutMs }),
    check(r, exp) {
      expect(r.exitCode === 0, `ovl-dedup: ${firstLine(r)}`);
      let j: AnalyzeJson;
      try {
        j = JSON.parse(r.stdout) as AnalyzeJson;
      } catch {
        throw new Error(`ovl-dedup --json - printed no JSON: ${r.stdout.slice(0, 80)}`);
      }
      expect(j.stores?.some((s) => s.driver === 'overlay2') === true, 'ovl-dedup found no overlay2 store');
      expect(j.images?.length === exp.images, `ovl-dedup found ${j.images?.length} images, expected ${exp.images}`);
      expect(j.imageLayers?.entries === exp.entries, `ovl-dedup counted ${j.imageLayers?.entries} layer entries, expected ${exp.entries}`);
      const d = j.duplicates;
      groupsMatch('ovl-dedup', d?.groups?.length ?? -1, d?.redundantInodes ?? -1, exp);
      expect(d?.redundantBytes === exp.redundantBytes, `ovl-dedup: ${d?.redundantBytes} redundant bytes, expected ${exp.redundantBytes}`);
    },
  };
}

/**
 * null when the contract command runs on an empty root (exit 0, or 1 for "no store here");
 * else the reason: a usage error (exit 2: the command or --json is not there yet), a crash.
 */
export async function probeOvlDedup(bin: string, emptyRoot: string): Promise<string | null> {
  const r = await runTool(process.execPath, [bin, 'analyze', emptyRoot, '--json', '-'], { timeoutMs: 60_000 });
  // An empty dir holds no store: bad input, exit 2 with "no … store found" (exit 1 before
  // 2026-12-02). Either way the tool parsed `analyze ROOT --json -` and got as far as the root.
  if (r.exitCode === 0 || (r.exitCode === 2 && /store found/.test(r.stderr))) return null;
  if (r.exitCode === 1 && !/Cannot find module|ERR_MODULE_NOT_FOUND|internal error/i.test(r.stderr)) return null;
  return `analyze ROOT --json - ${r.exitCode === 2 ? 'is not available' : 'fails'}: ${firstLine(r)}`;
}

/** null when the program answers --version. */
export async function probeProgram(name: string): Promise<string | null> {
  const r = await runTool(name, ['--version'], { timeoutMs: 10_000 });
  return r.exitCode === null ? `${name} is not installed (${r.failure})` : null;
}
