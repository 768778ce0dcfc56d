// The analyze command's flow: check the arguments, run the pipeline, write JSON and tables,
// evaluate CI rules. The CLI only parses options and turns the outcome into an exit code.
import { realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { OvlError, UsageError } from '../errors.js';
import { evaluate, parseThresholds, type RuleResult, type ThresholdText } from './ci.js';
import { runAnalysis, type Progress } from './pipeline.js';
import { renderCi, renderReport } from './render.js';
import type { Report } from './report.js';

export interface AnalyzeOptions extends ThresholdText {
  json?: string;
  ci?: boolean;
}

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  progress?: Progress;
}

export interface AnalyzeOutcome {
  report: Report;
  rules: RuleResult[];
}

/** The data root as a real directory path, or a UsageError naming it. */
export function checkedRoot(root: string): string {
  let st;
  try {
    st = statSync(root);
  } catch (err) {
    throw new UsageError(`${root}: ${(err as { code?: string }).code === 'ENOENT' ? 'no such directory' : 'cannot stat'}`, { cause: err });
  }
  if (!st.isDirectory()) throw new UsageError(`${root}: not a directory`);
  return realpathSync(root);
}

/** True when `path` (which may not exist yet) lies inside `root` (a real path). */
export function isInside(path: string, root: string): boolean {
  let p = resolve(path);
  // Resolve the deepest existing ancestor so symlinks cannot smuggle a path into the root.
  for (let probe = p; ; probe = dirname(probe)) {
    try {
      p = resolve(realpathSync(probe), resolve(path).slice(probe.length + 1));
      break;
    } catch {
      if (dirname(probe) === probe) break;
    }
  }
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

export async function analyzeCommand(rootArg: string, opts: AnalyzeOptions, io: Io): Promise<AnalyzeOutcome> {
  const root = checkedRoot(rootArg);
  const thresholds = parseThresholds(opts);
  if (opts.json !== undefined && opts.json !== '-' && isInside(opts.json, root)) {
    throw new UsageError(`--json ${opts.json}: inside the data root ${root}; analyze never writes there`);
  }
  const { report } = await runAnalysis(root, { progress: io.progress, fileXattrs: false });
  if (report.stores.length === 0) {
    throw new OvlError('ENOENT', 'no overlay, overlay2 or containers-storage store found', { path: root });
  }
  const rules = opts.ci ? evaluate(report, thresholds) : [];
  const json = JSON.stringify(report, null, 2) + '\n';
  if (opts.json === '-') io.stdout.write(json);
  else {
    if (opts.json !== undefined) writeFileSync(opts.json, json);
    io.stdout.write(renderReport(report));
  }
  if (opts.ci) (opts.json === '-' ? io.stderr : io.stdout).write(renderCi(rules) + '\n');
  return { report, rules };
}
