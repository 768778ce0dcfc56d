// A MAP_SHARED mapping held while other ops run (mapOpen … mapRead/mapWrite … unmap): on the
// kernel a writable mapping of an upper file shares its page cache with write(2), read(2),
// append and truncate through the mount, and a read-only mapping of a lower file keeps showing the
// lower after another open copies the file up (spec S47). The kernel's own mount command agrees
// exactly; a target that copied the file up before the mapping was made is caught at the one op
// that reads through the held mapping; ovl-fuse differs only there, as its rule names (the
// FUSE inode has one page cache, which the copy-up's write updates); the repro script replays the
// held mapping with libc's mmap.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { diffTraces } from '../../src/conformance/diff.js';
import { classify, loadRules } from '../../src/conformance/divergences.js';
import { renderRepro } from '../../src/conformance/report/repro.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import type { Scenario } from '../../src/conformance/scenario.js';
import { suitesDir } from '../../src/conformance/suite.js';
import { execTarget, fuseTarget, kernelTarget, packageRoot } from '../../src/conformance/targets.js';

const MOUNT = 'mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';
// Generous: the worker's first start under tap's TypeScript loader takes seconds on a loaded machine.
const runner = new ScenarioRunner({ timeoutMs: 60_000 });
t.teardown(() => runner.close());

const scenario: Scenario = {
  lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'hello', mode: 0o644 }] }],
  upper: { entries: [{ path: 'u', kind: 'file', content: 'upper', mode: 0o644 }] },
  ops: [
    { op: 'mapOpen', path: 'u', access: 'rw', map: 0 },
    { op: 'write', path: 'u', offset: 0, data: 'X' },
    { op: 'mapRead', map: 0 },
    { op: 'mapWrite', map: 0, offset: 1, data: 'YZ' },
    { op: 'read', path: 'u' },
    { op: 'append', path: 'u', data: '!!' },
    { op: 'mapRead', map: 0 },
    { op: 'mapOpen', path: 'a', access: 'r', map: 1 },
    { op: 'write', path: 'a', offset: 0, data: 'J' },
    { op: 'mapRead', map: 1 },
    { op: 'read', path: 'a' },
    { op: 'mapWrite', map: 1, offset: 0, data: 'q' },
    { op: 'truncate', path: 'u', size: 2 },
    { op: 'mapRead', map: 0 },
    { op: 'unmap', map: 0 },
    { op: 'mapRead', map: 0 },
    { op: 'read', path: 'u' },
  ],
};

const text = (tr: Awaited<ReturnType<ScenarioRunner['run']>>, i: number) => {
  const r = tr.ops[i]!.result;
  return r.ok ? (r.value as { content?: { text: string } } | undefined)?.content?.text : r.errno;
};
const opDiffs = (a: Awaited<ReturnType<ScenarioRunner['run']>>, b: Awaited<ReturnType<ScenarioRunner['run']>>) => [
  ...new Set(
    diffTraces(a, b)
      .filter((d) => d.where === 'op')
      .map((d) => `op${d.opIndex}:${d.field}`),
  ),
];

const kernel = await runner.run(kernelTarget, scenario);

t.test('the kernel: a held mapping is coherent with write(2), read(2), append, truncate; a lower mapping stays on the lower', async (t) => {
  t.notOk(kernel.failure, JSON.stringify(kernel.failure));
  t.equal(text(kernel, 2), 'Xpper', 'write(2) shows through the mapping');
  t.equal(text(kernel, 4), 'XYZer', 'a store without msync shows to read(2)');
  t.equal(text(kernel, 6), 'XYZer!!', 'the file grew under the mapping');
  t.equal(text(kernel, 9), 'hello', 'the read-only mapping made before copy-up still maps the lower');
  t.equal(text(kernel, 10), 'Jello');
  t.equal(text(kernel, 11), 'EACCES', 'no store through a read-only mapping');
  t.equal(text(kernel, 13), 'XY', 'truncated under the mapping');
  t.equal(text(kernel, 15), 'EBADF', 'unmapped');
  t.equal(text(kernel, 16), 'XY');
});

t.test("the kernel's own mount command agrees exactly", async (t) => {
  t.same(diffTraces(kernel, await runner.run(execTarget(MOUNT), scenario)), []);
});

t.test('a target that copied the file up before it was mapped: caught at the read through the held mapping', async (t) => {
  const early = await runner.run(execTarget(`cp -a {lowerdir}/a {upperdir}/a && ${MOUNT}`), scenario);
  t.same(opDiffs(kernel, early), ['op9:content']);
  t.equal(text(early, 9), 'Jello', 'its mapping follows the copy-up');
});

t.test('ovl-fuse: only the lower mapping that follows the copy-up, accepted by its rule', { skip: !existsSync(join(packageRoot, 'dist/fuse')) && 'ovl-fuse not built' }, async (t) => {
  const fuse = await runner.run(fuseTarget(), scenario);
  const diffs = diffTraces(kernel, fuse);
  t.same(opDiffs(kernel, fuse), ['op9:content']);
  t.same(diffs.filter((d) => d.where !== 'op'), [], 'nothing else, on disk or through the mount');
  const rules = loadRules(join(suitesDir, 'divergences.json'));
  t.same(classify(rules, 'fuse', diffs, scenario.ops).map((c) => c.accepted ?? null), ['ovl-fuse-lower-mapping-follows-copy-up']);
  // The same content through a writable mapping, or a read(2), stays unexpected.
  const rw = scenario.ops.map((o, i) => (i === 7 ? { ...o, access: 'rw' as const } : o));
  t.same(classify(rules, 'fuse', diffs, rw).map((c) => c.accepted ?? null), [null]);
  t.same(classify(rules, 'fuse', [{ ...diffs[0]!, opIndex: 10, op: 'read("a")' }], scenario.ops).map((c) => c.accepted ?? null), [null]);
});

t.test('ovl-fuse: a store through a new mapping while a lower open is held stamps mtime (cached io mode), accepted by its rule only then', { skip: !existsSync(join(packageRoot, 'dist/fuse')) && 'ovl-fuse not built' }, async (t) => {
  // observe-run14 of the main job (2026-12-04, seed 1122472193), shrunk: the held read-only
  // mapping of the lower file keeps the FUSE inode in cached io mode, so the mapping the `mmap` op
  // makes after its copy-up cannot pass through and its store reaches the daemon as a WRITE.
  const held: Scenario = {
    lowers: [{ entries: [{ path: 'e', kind: 'file', content: 'lower data', mode: 0o644 }] }],
    upper: { entries: [] },
    ops: [{ op: 'mapOpen', path: 'e', access: 'r', map: 0 }, { op: 'mmap', path: 'e', offset: 0, data: 'a' }],
  };
  const released: Scenario = { ...held, ops: [held.ops[0]!, { op: 'unmap', map: 0 }, held.ops[1]!] };
  const rules = loadRules(join(suitesDir, 'divergences.json'));
  const diffs = diffTraces(await runner.run(kernelTarget, held), await runner.run(fuseTarget(), held));
  t.same(diffs.map((d) => `${d.where}:${d.path}:${d.field}`), ['merged:e:stat.mtime', 'upper:e:stat.mtime'], 'only the mtime differs');
  t.same(classify(rules, 'fuse', diffs, held.ops).map((c) => c.accepted ?? null), Array(2).fill('ovl-fuse-mmap-write-beside-cached-open'));
  t.same(diffTraces(await runner.run(kernelTarget, released), await runner.run(fuseTarget(), released)), [], 'released first: the mapping passes through, as the kernel maps the upper');
});

t.test('the repro script holds the mapping as the worker does', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-held-map-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'repro.sh');
  const result = { suite: 'observe', index: 1, status: 'pass' as const, scenario, classified: [], reference: kernel, target: kernel, ms: 0 };
  writeFileSync(script, renderRepro(result, { id: 'observe-run1', suite: 'observe', seed: 1, target: 'kernel' }));
  const r = await execa('bash', [script], { reject: false, env: { TMPDIR: dir } });
  t.equal(r.exitCode, 0, r.stderr);
  const here = r.stdout.split('\n').filter((l) => l.includes('here:'));
  t.match(here[2], "'text': 'Xpper'");
  t.match(here[9], "'text': 'hello'");
  t.match(here[11], 'errno EACCES');
  t.match(here[13], "'text': 'XY'");
  t.match(here[15], 'errno EBADF');
});
