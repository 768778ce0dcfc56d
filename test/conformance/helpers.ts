// Shared by the ovl-check integration tests: the CLI as a user runs it, with a private TMPDIR and
// report dir per test, and the checks that nothing was left mounted, running or on disk.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';
import { forceUnmount, listMounts } from '../../src/sys/index.js';
import type { Teardowns } from '../helpers/layers.js';

export const bin = fileURLToPath(new URL('../../bin/ovl-check', import.meta.url));

/** A planted bug: the kernel, but with the lower layers in reverse order. */
export const SWAPPED_LOWERS =
  "exec:mount -t overlay overlay -o lowerdir=$(printf '%s\\n' {lowerdir} | tr : '\\n' | tac | paste -sd:),upperdir={upperdir},workdir={workdir}{options} {merged}";

/** A planted bug: the kernel, but with a stray file in the upper before mounting. */
export const STRAY_UPPER_FILE = 'exec:touch {upperdir}/planted && mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';

/** The kernel's own mount command: an exec target that must agree with the kernel target exactly. */
export const KERNEL_EXEC = 'exec:mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';

export interface Sandbox {
  /** TMPDIR of the CLI: every run dir it makes is under here. */
  tmp: string;
  /** --out for the CLI. */
  out: string;
  run(args: string[], opts?: Options): ReturnType<typeof execa>;
  /** The report dir the last run wrote (by name alone two runs in one second could swap). */
  reportDir(): string;
  summary(): Summary;
  /** Mounts still under the sandbox (should always be none). */
  leftMounts(): string[];
}

export interface Summary {
  exitCode: number;
  totals: { scenarios: number; pass: number; accepted: number; diverged: number; recorded: number };
  suites: Array<{ suite: string; scenarios: number; diverged: number }>;
  unexpected: Array<{ id: string; suite: string; json: string; repro: string; replay: string; ops: number; shrinks: number; shrunk: boolean }>;
}

export function sandbox(t: Teardowns): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-check-test-'));
  const tmp = join(root, 'tmp');
  const out = join(root, 'reports');
  const leftMounts = () => listMounts().filter((m) => m.target.startsWith(root + '/')).map((m) => m.target);
  t.teardown(() => {
    for (const m of leftMounts().reverse()) forceUnmount(m);
    rmSync(root, { recursive: true, force: true });
  });
  mkdirSync(tmp);
  mkdirSync(out);
  // Dir names are `<second>-<target>`: two runs in the same second sort by target, not by time,
  // so remember which dir each run added.
  let last: string | undefined;
  const reportDir = () => {
    if (last !== undefined) return last;
    const dirs = readdirSync(out).sort();
    return join(out, dirs[dirs.length - 1]!);
  };
  const run = (args: string[], opts: Options = {}) => {
    const before = new Set(readdirSync(out));
    const child = execa(bin, [...args, '--out', out], { reject: false, env: { TMPDIR: tmp, CI: '' }, ...opts });
    // Registered before the caller's await, so it runs first once the run has ended.
    void child.then(() => {
      const added = readdirSync(out).filter((d) => !before.has(d)).sort();
      if (added.length > 0) last = join(out, added[added.length - 1]!);
    });
    return child;
  };
  return {
    tmp,
    out,
    run,
    reportDir,
    summary: () => JSON.parse(readFileSync(join(reportDir(), 'summary.json'), 'utf8')) as Summary,
    leftMounts,
  };
}

/** Run dirs a run left in its TMPDIR (should be none; compile caches of node itself do not count). */
export function leftovers(tmp: string): string[] {
  return readdirSync(tmp).filter((n) => n.startsWith('ovl-check-') || n.startsWith('ovlkit-'));
}
