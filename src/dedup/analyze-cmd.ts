// The analyze command's flow: check the arguments, run the pipeline, write JSON and tables,
// evaluate CI rules. The CLI only parses options and turns the outcome into an exit code.
import { constants } from 'node:fs';
import { accessSync, existsSync, realpathSync, statSync, writeFileSync } from '../sys/fs-bytes.js';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { evaluate, parseThresholds, type RuleResult, type ThresholdText } from './ci.js';
import { runAnalysis, type Progress } from './pipeline.js';
import { renderHtml } from './html.js';
import { renderCi, renderReport } from './render.js';
import { checkOutputPath, isInside } from './output-path.js';
import type { Report } from './report.js';

export interface AnalyzeOptions extends ThresholdText {
  json?: string;
  ci?: boolean;
  /** sizes in KiB/MiB (du -h) instead of kB/MB (docker) */
  binary?: boolean;
  /** also write the report as a self-contained HTML page to this file */
  html?: string;
}

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  progress?: Progress;
  /** terminal width for the tables (default 80) */
  width?: number;
}

export interface AnalyzeOutcome {
  report: Report;
  rules: RuleResult[];
}

/** The data root as a real directory path, or a UsageError naming it and why. */
export function checkedRoot(root: string): string {
  if (root === '') throw new UsageError('an empty path is not a data root', { code: 'ENOENT' });
  let st;
  try {
    st = statSync(root);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(`${root}: ${code === 'ENOENT' ? 'no such directory' : `cannot stat (${code ?? String(err)})`}`, { code, cause: err });
  }
  if (!st.isDirectory()) throw new UsageError(`${root}: not a directory`, { code: 'ENOTDIR' });
  try {
    // A root the caller may not list would otherwise read as one holding no store.
    accessSync(root, constants.R_OK | constants.X_OK);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(`${root}: cannot read (${code ?? String(err)})`, { code, cause: err });
  }
  return realpathSync(root);
}

/**
 * A store dir given instead of its data root (`/var/lib/docker/overlay2`, or a containers-storage
 * `…/overlay`) is answered for the data root that holds it: the layers mean nothing without the
 * image and layer metadata beside them.
 */
export function dataRootOf(root: string): string {
  const name = basename(root);
  const parent = dirname(root);
  if (name !== 'overlay' && name !== 'overlay2') return root;
  const docker = existsSync(join(parent, 'image', name));
  const cstorage = name === 'overlay' && existsSync(join(parent, 'overlay-layers'));
  return docker || cstorage ? parent : root;
}

export async function analyzeCommand(rootArg: string, opts: AnalyzeOptions, io: Io): Promise<AnalyzeOutcome> {
  const given = checkedRoot(rootArg);
  const root = dataRootOf(given);
  if (root !== given) io.stderr.write(`ovl-dedup: ${given} is a store of the data root ${root}; analyzing ${root}\n`);
  const thresholds = parseThresholds(opts);
  if (opts.json !== undefined && opts.json !== '-' && isInside(opts.json, root)) {
    throw new UsageError(`--json ${opts.json}: inside the data root ${root}; analyze never writes there`);
  }
  if (opts.html !== undefined && isInside(opts.html, root)) {
    throw new UsageError(`--html ${opts.html}: inside the data root ${root}; analyze never writes there`);
  }
  if (opts.json !== undefined && opts.json !== '-') checkOutputPath('--json', opts.json);
  if (opts.html !== undefined) checkOutputPath('--html', opts.html);
  const { report } = await runAnalysis(root, { progress: io.progress, fileXattrs: false, skipMovedContainers: true });
  if (report.stores.length === 0) {
    // A directory that holds no store is a wrong argument, not a failure of the tool: exit 2.
    throw new UsageError(`${root}: no overlay, overlay2 or containers-storage store found (give the data root, the dir holding image/ and overlay2/)`, { code: 'ENOENT' });
  }
  const rules = opts.ci ? evaluate(report, thresholds) : [];
  const json = JSON.stringify(report, null, 2) + '\n';
  if (opts.json === '-') io.stdout.write(json);
  else {
    if (opts.json !== undefined) writeFileSync(opts.json, json);
    io.stdout.write(renderReport(report, { binary: opts.binary ?? false, width: io.width ?? 80 }));
  }
  if (opts.html !== undefined) writeFileSync(opts.html, renderHtml(report, { binary: opts.binary ?? false }));
  if (opts.ci) (opts.json === '-' ? io.stderr : io.stdout).write(renderCi(rules) + '\n');
  return { report, rules };
}
