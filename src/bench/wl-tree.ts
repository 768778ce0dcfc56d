// readdir and untar. readdir lists one dir of N visible names merged from 4 lowers, with more
// names hidden by whiteouts in the lower above them; the listed set must be exactly the visible
// names. untar extracts a tarball into a lower dir through the mount; the entry count, `tar -d`
// (content, mode, owner) and every mtime must match the archive.
import { lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { firstLine, runTool, syncAll } from '../sys/index.js';
import { SMALL_SIZE, lowersOf } from './gen-tree.js';
import { expect, makeCold, median, timed, type Measured } from './record.js';
import { Stack } from './stack.js';
import { keepLowerAsGenerated } from './wl-io.js';
import type { Workload, WorkloadCtx } from './workload.js';

function sameNames(seen: string[], want: string[]): boolean {
  if (seen.length !== want.length) return false;
  const sorted = [...seen].sort();
  return sorted.every((n, i) => n === want[i]);
}

async function listOnce(ctx: WorkloadCtx, dir: string, withStat: boolean): Promise<Measured> {
  const t = await timed(() => {
    const names = readdirSync(dir);
    let small = 0;
    if (withStat) for (const n of names) if (lstatSync(join(dir, n)).size === SMALL_SIZE) small++;
    return { names, small };
  });
  const want = ctx.data.readdirNames;
  expect(sameNames(t.value.names, want), `listing has ${t.value.names.length} names, not exactly the ${want.length} visible ones`);
  if (withStat) expect(t.value.small === want.length, `${t.value.small} of ${want.length} names stat as ${SMALL_SIZE}-byte files`);
  return { value: t.ms, interfered: t.interfered };
}

async function warmList(ctx: WorkloadCtx, dir: string, withStat: boolean): Promise<Measured> {
  const runs = [];
  for (let i = 0; i < ctx.data.sizes.warmReps; i++) runs.push(await listOnce(ctx, dir, withStat));
  return { value: median(runs.map((r) => r.value)), interfered: runs.reduce((n, r) => n + r.interfered, 0) };
}

export const readdir: Workload = {
  name: 'readdir',
  metrics: () => [['readdir_cold', 'ms'], ['readdir_warm', 'ms'], ['readdir_stat_cold', 'ms'], ['readdir_stat_warm', 'ms']],
  async run(ctx) {
    const s = new Stack(ctx.target, lowersOf(join(ctx.data.root, 'readdir'), 4), join(ctx.runDir, 'readdir'));
    await s.mount();
    const dir = s.path('big');
    try {
      for (const withStat of [false, true]) {
        const prefix = withStat ? 'readdir_stat' : 'readdir';
        await ctx.rec.measure(`${prefix}_cold`, 'ms', async () => {
          await s.remount();
          await makeCold();
          return listOnce(ctx, dir, withStat);
        });
        await ctx.rec.measure(`${prefix}_warm`, 'ms', () => warmList(ctx, dir, withStat));
      }
    } finally {
      await s.unmount();
    }
  },
};

/** `tar -d` lines: mtime differences are counted apart, anything else is a content/mode/owner failure. */
function compareLines(out: string): { mtime: number; other: string[] } {
  const lines = out.split('\n').filter((l) => l.length > 0);
  const mtime = lines.filter((l) => l.includes('Mod time differs')).length;
  return { mtime, other: lines.filter((l) => !l.includes('Mod time differs')) };
}

async function checkUntar(ctx: WorkloadCtx, s: Stack): Promise<number> {
  keepLowerAsGenerated(join(ctx.data.root, 'untar', '0', 'src'), [], s.target.name);
  const timeoutMs = ctx.data.sizes.stepTimeoutMs;
  const found = await runTool('find', [s.path(`src/${ctx.data.sizes.untarSource.replace(/^\//, '')}`)], { timeoutMs });
  expect(found.exitCode === 0, `find: ${firstLine(found)}`);
  const n = found.stdout.split('\n').filter((l) => l.length > 0).length;
  expect(n === ctx.data.tarEntries, `${n} entries after untar, expected ${ctx.data.tarEntries}`);
  const d = await runTool('tar', ['-df', ctx.data.tarball, '-C', s.path('src')], { timeoutMs });
  const { mtime, other } = compareLines(d.stdout + d.stderr);
  expect(other.length === 0, `tar -d: ${other.slice(0, 2).join('; ')}`);
  return mtime;
}

export const untar: Workload = {
  name: 'untar',
  metrics: () => [['untar', 'ms'], ['untar_sync', 'ms']],
  async run(ctx) {
    const s = new Stack(ctx.target, [join(ctx.data.root, 'untar', '0')], join(ctx.runDir, 'untar'));
    await s.mount();
    try {
      readFileSync(ctx.data.tarball); // in the page cache: time the overlay, not the tarball's disk
      await syncAll();
      let mtimeWrong = -1;
      await ctx.rec.measureAll(this.metrics(ctx.data), async () => {
        const t = await timed(() => runTool('tar', ['-xf', ctx.data.tarball, '-C', s.path('src')], { timeoutMs: ctx.data.sizes.stepTimeoutMs }));
        expect(t.value.exitCode === 0, `tar -x: ${firstLine(t.value)}`);
        const sync = await timed(syncAll);
        mtimeWrong = await checkUntar(ctx, s);
        expect(mtimeWrong === 0, `${mtimeWrong} files have a wrong mtime after untar (tar -d)`);
        return { untar: { value: t.ms, interfered: t.interfered }, untar_sync: { value: sync.ms, interfered: sync.interfered } };
      });
      if (mtimeWrong >= 0) ctx.rec.ok('untar_mtime_wrong', mtimeWrong, 'files', 0, 'none');
    } finally {
      await s.unmount();
    }
  },
};
