// client: what people run in a container's tree, one program after another on one mount, each
// step timed and checked. A header tree and a C project sit in the lower; through the mount:
// git init + add + commit of everything (reads every file, writes loose objects into the upper),
// sed -i over every header (a new file renamed over each lower name), git status (clean: sed
// changed no content), git fsck, cp -a of the tree, tar of both trees (its entry count), make -j2
// (the program's exit status) and rm -rf of the copy. No sync between steps, as a user's shell.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { firstLine, runTool, syncAll, type ToolResult } from '../sys/index.js';
import { clientProgExit } from './gen-client.js';
import { expect, timed, type Measured } from './record.js';
import { Stack } from './stack.js';
import { keepLowerAsGenerated } from './wl-io.js';
import type { Workload, WorkloadCtx } from './workload.js';

const STEPS = ['git', 'sed', 'status', 'fsck', 'cp', 'tar', 'make', 'rm'] as const;
type Step = (typeof STEPS)[number];

/**
 * The whole environment of every step (nothing of the caller's is passed on: runTool cleanEnv):
 * git without the machine's or any user's configuration, and no GIT_DIR or GIT_WORK_TREE from a
 * hook the bench may run under, with a fixed identity.
 */
function stepEnv(home: string): Record<string, string> {
  const id = 'ovlkit bench';
  const mail = 'bench@ovlkit.invalid';
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LC_ALL: 'C', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: id, GIT_AUTHOR_EMAIL: mail, GIT_COMMITTER_NAME: id, GIT_COMMITTER_EMAIL: mail,
  };
}

/**
 * Each step's commands in order; a step fails on the first that exits non-zero or fails its check.
 * `verify`: a command run after the timed one, not timed, that must exit 0.
 */
function steps(ctx: WorkloadCtx, m: string): Record<Step, Array<{ cmd: string[]; check?: (r: ToolResult) => void; verify?: string[] }>> {
  const sh = (script: string) => ['bash', '-c', `set -o pipefail; ${script}`, 'client', m];
  const prog = clientProgExit(ctx.data.sizes.clientProgs);
  const entries = 2 * ctx.data.clientEntries;
  return {
    git: [{ cmd: ['git', '-C', m, 'init', '-q'] }, { cmd: ['git', '-C', m, 'add', '-A'] }, { cmd: ['git', '-C', m, 'commit', '-q', '-m', 'base'] }],
    sed: [{ cmd: sh(`find "$1/src" -name '*.h' -print0 | xargs -0 -r sed -i 's/\\bint\\b/int/'`) }],
    status: [{ cmd: ['git', '-C', m, 'status', '--porcelain'], check: (r) => expect(r.stdout === '', `git status after sed -i is not clean: ${r.stdout.split('\n')[0]}`) }],
    fsck: [{ cmd: ['git', '-C', m, 'fsck', '--no-progress'], check: (r) => expect(r.stderr.trim() === '', `git fsck: ${r.stderr.trim().split('\n')[0]}`) }],
    cp: [{ cmd: ['cp', '-a', join(m, 'src'), join(m, 'copy')], verify: ['diff', '-r', '--no-dereference', join(m, 'src'), join(m, 'copy')] }],
    tar: [
      {
        cmd: sh('tar -cf - -C "$1" src copy | tar -tf - | wc -l'),
        check: (r) => expect(Number(r.stdout.trim()) === entries, `tar of src and copy has ${r.stdout.trim()} entries, expected ${entries}`),
      },
    ],
    make: [{ cmd: ['make', '-C', join(m, 'proj'), '-j2', '-s'] }, { cmd: sh(`"$1/proj/prog"; test $? -eq ${prog}`) }],
    rm: [{ cmd: ['rm', '-rf', join(m, 'copy')], check: () => expect(!existsSync(join(m, 'copy')), 'copy/ is still there after rm -rf') }],
  };
}

async function runStep(ctx: WorkloadCtx, cmds: ReturnType<typeof steps>[Step], env: Record<string, string>): Promise<Measured> {
  let ms = 0;
  let interfered = 0;
  const opts = { env, cleanEnv: true, timeoutMs: ctx.data.sizes.stepTimeoutMs };
  for (const { cmd, check, verify } of cmds) {
    const t = await timed(() => runTool(cmd[0]!, cmd.slice(1), opts));
    expect(t.value.exitCode === 0, `${cmd.slice(0, 3).join(' ')}: ${firstLine(t.value)}`);
    check?.(t.value);
    if (verify) {
      const v = await runTool(verify[0]!, verify.slice(1), opts);
      expect(v.exitCode === 0, `${verify.slice(0, 2).join(' ')} after ${cmd[0]}: ${firstLine(v)}`);
    }
    ms += t.ms;
    interfered += t.interfered;
  }
  return { value: ms, interfered };
}

/**
 * The lower keeps what was generated: nothing a target wrote lands there, at the top, in proj/ or
 * anywhere below src/ (where sed -i makes its temporary files). What a target added is removed,
 * so the targets after it are measured on the same input; a removal it made cannot be undone.
 */
function checkLower(ctx: WorkloadCtx, target: string): void {
  const dir = join(ctx.data.root, 'client', '0');
  keepLowerAsGenerated(dir, ['src', 'proj'], target);
  const proj = Array.from({ length: ctx.data.sizes.clientProgs }, (_, i) => `f${i + 1}.c`);
  keepLowerAsGenerated(join(dir, 'proj'), [...proj, 'main.c', 'Makefile'], target);
  const want = new Set(ctx.data.clientSrcPaths);
  const found = readdirSync(join(dir, 'src'), { recursive: true }).map(String);
  const extra = found.filter((p) => !want.has(p));
  for (const p of extra) rmSync(join(dir, 'src', p), { recursive: true, force: true });
  expect(extra.length === 0, `${target} wrote ${extra.length} entries into the lower src/ (${extra[0]})`);
  expect(found.length === want.size, `${target} removed ${want.size - found.length} entries from the lower src/`);
}

export const client: Workload = {
  name: 'client',
  metrics: () => [...STEPS.map((s): [string, 'ms'] => [`client_${s}`, 'ms']), ['client_total', 'ms']],
  async run(ctx) {
    const s = new Stack(ctx.target, [join(ctx.data.root, 'client', '0')], join(ctx.runDir, 'client'));
    await s.mount();
    try {
      await syncAll();
      const env = stepEnv(ctx.runDir);
      const plan = steps(ctx, s.merged);
      await ctx.rec.measureAll(this.metrics(ctx.data), async () => {
        const got: Record<string, Measured> = {};
        let total = 0;
        let interfered = 0;
        for (const step of STEPS) {
          const r = await runStep(ctx, plan[step], env);
          got[`client_${step}`] = r;
          total += r.value;
          interfered += r.interfered;
        }
        checkLower(ctx, s.target.name);
        got.client_total = { value: total, interfered };
        return got;
      });
    } finally {
      await s.unmount();
      // A failed step skips the check above; the lower is put back for the next target either way.
      try {
        checkLower(ctx, s.target.name);
      } catch {
        /* already failed, or put back just now */
      }
    }
  },
};
