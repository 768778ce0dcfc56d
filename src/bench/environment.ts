// Where the numbers came from: machine, kernel, load and the versions of every program measured.
import { cpus, hostname, loadavg, release, totalmem } from 'node:os';
import { runTool } from '../sys/index.js';
import type { Environment } from './types.js';

/** The version number on the first line of `cmd args` that matches `pick`, or 'missing'. */
async function versionOf(cmd: string, args: string[], pick: RegExp): Promise<string> {
  const r = await runTool(cmd, args, { timeoutMs: 10_000 });
  if (r.exitCode === null) return 'missing';
  const line = (r.stdout + '\n' + r.stderr).split('\n').find((l) => pick.test(l));
  return line?.match(/\d+(\.\d+)+/)?.[0] ?? line?.trim() ?? 'unknown';
}

/** `git describe`-like id of the checkout that holds `bin` (a commit, + "-dirty" when modified). */
export async function checkoutVersion(bin: string): Promise<string> {
  const dir = new URL('.', `file://${bin}`).pathname;
  const head = await runTool('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { timeoutMs: 10_000 });
  if (head.exitCode !== 0) return 'unknown';
  const dirty = await runTool('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no'], { timeoutMs: 10_000 });
  const branch = await runTool('git', ['-C', dir, 'rev-parse', '--abbrev-ref', 'HEAD'], { timeoutMs: 10_000 });
  return `${branch.stdout.trim()}@${head.stdout.trim()}${dirty.stdout.trim() ? '-dirty' : ''}`;
}

export async function environment(programs: Record<string, string>): Promise<Environment> {
  const versions: Record<string, string> = {
    'fuse-overlayfs': await versionOf('fuse-overlayfs', ['--version'], /fuse-overlayfs/i),
    jdupes: await versionOf('jdupes', ['--version'], /jdupes/i),
    rdfind: await versionOf('rdfind', ['--version'], /rdfind/i),
    tar: await versionOf('tar', ['--version'], /tar/),
  };
  for (const [name, bin] of Object.entries(programs)) versions[name] = `${await checkoutVersion(bin)} (${bin})`;
  return {
    date: new Date().toISOString(),
    host: hostname(),
    kernel: release(),
    cpus: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg: loadavg(),
    versions,
  };
}
