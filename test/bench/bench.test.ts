// npm run bench as a user runs it, at the tiny size: it must finish, print the tables, leave no
// mount behind and write a well-formed report in which the anchors pass every correctness check.
// No timing assertions: only that values exist, are positive and are checked.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { listMounts } from '../../src/sys/index.js';
import type { Report, SectionSummary } from '../../src/bench/types.js';

const main = fileURLToPath(new URL('../../dist/bench/main.js', import.meta.url));
const standIn = fileURLToPath(new URL('./fixtures/stand-in-ovl-fuse.mjs', import.meta.url));
const FUSE_METRICS = ['startup', 'walk_cold', 'walk_warm', 'walk_remount', 'deep_L1_lookup', 'deep_L8_lookup', 'readseq_cold', 'readseq_warm', 'copyup_total', 'create', 'readdir_cold', 'readdir_stat_warm', 'untar', 'client_total'];

async function bench(t: Test, extra: string[], dropCaches = false): Promise<{ report: Report; md: string; stdout: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-bench-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const args = [main, '--size', 'tiny', ...(dropCaches ? [] : ['--no-drop-caches']), '--reports', join(dir, 'reports'), '--data-dir', join(dir, 'data'), '--cache-dir', join(dir, 'cache'), ...extra];
  const r = await execa(process.execPath, args, { reject: false, env: { OVLKIT_BENCH_OVL_FUSE: '', OVLKIT_BENCH_OVL_DEDUP: '', OVLKIT_BENCH_OVL_CHECK: '' } });
  t.equal(r.exitCode, 0, r.stderr);
  t.same(listMounts().filter((m) => m.target.startsWith(dir)), [], 'nothing left mounted');
  const files = readdirSync(join(dir, 'reports')).sort();
  t.equal(files.length, 2, files.join(' '));
  t.match(files[0], /^bench-\d{8}T\d{6}Z\.json$/);
  t.equal(files[1], files[0]!.replace(/json$/, 'md'));
  const report = JSON.parse(readFileSync(join(dir, 'reports', files[0]!), 'utf8')) as Report;
  return { report, md: readFileSync(join(dir, 'reports', files[1]!), 'utf8'), stdout: r.stdout, dir };
}

function section(t: Test, report: Report, name: string): SectionSummary {
  const s = report.sections.find((x) => x.name === name);
  t.ok(s, `section ${name} present`);
  return s!;
}

/** Every target is either measured or listed unavailable with a reason, never both, never neither. */
function accounted(t: Test, report: Report, s: SectionSummary): void {
  for (const target of s.targets) {
    const measured = s.rows.some((r) => r.cells[target] !== undefined);
    const gone = report.unavailable.filter((u) => u.section === s.name && u.target === target);
    t.ok(measured !== (gone.length > 0), `${s.name}/${target}: measured xor unavailable`);
    for (const g of gone) t.not(g.reason.trim(), '', `${s.name}/${target} says why it is unavailable`);
  }
}

function passing(t: Test, s: SectionSummary, target: string, metrics: string[]): void {
  for (const m of metrics) {
    const cell = s.rows.find((r) => r.metric === m)?.cells[target];
    t.same(cell?.fails, [], `${target} ${m} passed its check`);
    t.ok(cell?.median !== null && cell!.median! > 0, `${target} ${m} has a positive median`);
  }
}

t.test('--size tiny runs every section and writes a well-formed report', async (t) => {
  const { report, md, stdout } = await bench(t, []);
  t.equal(report.schema, 'ovlkit-bench/1');
  t.equal(report.profile, 'tiny');
  t.same(report.sections.map((s) => s.name), ['fuse', 'dedup', 'check']);
  const fuse = section(t, report, 'fuse');
  t.same(fuse.targets, ['kernel', 'fuse-overlayfs', 'ovl-fuse', 'ovl-fuse/fuse-native']);
  for (const target of ['kernel', 'fuse-overlayfs']) passing(t, fuse, target, FUSE_METRICS);
  t.equal(fuse.rows.find((r) => r.metric === 'untar_mtime_wrong')?.cells.kernel?.median, 0, 'kernel keeps every mtime');
  const dedup = section(t, report, 'dedup');
  // This checkout's ovl-dedup too: its probe once mistook the exit 2 of an empty root for "not available".
  for (const target of ['jdupes', 'rdfind', 'ovl-dedup']) passing(t, dedup, target, ['scan', 'entries_per_s']);
  t.notOk(dedup.rows.some((r) => r.metric === 'scan_cold'), 'no cold scan where the caches are not dropped');
  for (const s of report.sections) accounted(t, report, s);
  t.ok(report.samples.every((x) => (x.value === null) === (x.fail !== undefined)), 'a sample has a value or a failure reason');
  for (const s of report.sections) {
    t.match(md, `## ${s.title}`);
    t.match(stdout, s.title);
  }
  t.match(md, /\| metric \| kernel \| fuse-overlayfs \| ovl-fuse \| ovl-fuse\/fuse-native \|/);
});

t.test('a subject that mounts gets its own column, ratios and goal verdicts', async (t) => {
  const { report } = await bench(t, ['--only', 'walk,copyup', '--ovl-fuse', standIn]);
  const fuse = section(t, report, 'fuse');
  t.same(report.unavailable.filter((u) => u.section === 'fuse'), [], 'the stand-in mounts');
  passing(t, fuse, 'ovl-fuse', ['walk_cold', 'walk_warm', 'walk_remount', 'copyup_total']);
  passing(t, fuse, 'ovl-fuse/fuse-native', ['walk_cold', 'walk_warm']);
  const walkWarm = fuse.rows.find((r) => r.metric === 'walk_warm')!;
  const ratio = walkWarm.ratios['fuse-overlayfs'];
  t.equal(ratio, walkWarm.cells['ovl-fuse']!.median! / walkWarm.cells['fuse-overlayfs']!.median!);
  t.not(walkWarm.goal?.met, null, 'the walk_warm goal is judged');
  t.equal(walkWarm.ratios['ovl-fuse/fuse-native'], walkWarm.cells['ovl-fuse']!.median! / walkWarm.cells['ovl-fuse/fuse-native']!.median!, 'ratio to the previous transport');
});

t.test('the dedup scan is timed warm for every tool, and cold after a drop_caches', async (t) => {
  const { report } = await bench(t, ['--only', 'dedup', '--rounds', '2'], true);
  const dedup = section(t, report, 'dedup');
  for (const target of ['jdupes', 'rdfind', 'ovl-dedup']) passing(t, dedup, target, ['scan', 'entries_per_s', 'scan_cold', 'entries_per_s_cold']);
  t.equal(dedup.rows.find((r) => r.metric === 'scan')?.goal?.met !== undefined, true, 'the goal is judged on the warm scan');
  t.equal(report.samples.filter((x) => x.section === 'dedup' && x.metric === 'scan_cold').length, 6, 'one cold scan per tool and round');
});
