// redirect_dir=on across layer rotations (the upper becomes the top lower of the next mount, as an
// image build commits a step): a populated lower dir renamed, rotated, moved into another dir,
// rotated again and a child of it moved out. ovl-fuse used to lose the children (it looked the
// absolute redirect up as one real path, missing a dir renamed in an older layer, and it wrote
// the dir's real lower path as the redirect, which runs through a whited-out name).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { diffTraces } from '../../src/conformance/diff.js';
import { classify, loadRules } from '../../src/conformance/divergences.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import type { Scenario } from '../../src/conformance/scenario.js';
import { suitesDir } from '../../src/conformance/suite.js';
import { execTarget, fuseTarget, kernelTarget, packageRoot } from '../../src/conformance/targets.js';

const runner = new ScenarioRunner({ timeoutMs: 60_000 });
t.teardown(() => runner.close());

const dir = (path: string) => ({ path, kind: 'dir' as const, mode: 0o755 });
const file = (path: string) => ({ path, kind: 'file' as const, content: path, mode: 0o644 });
const scenario: Scenario = {
  lowers: [{ entries: [dir('d'), file('d/x'), dir('d/y'), file('d/y/z'), dir('a')] }],
  upper: { entries: [] },
  options: { redirect_dir: 'on' },
  ops: [
    { op: 'rename', from: 'd', to: 'b' },
    { op: 'rotate' },
    { op: 'rename', from: 'b', to: 'a/b' },
    { op: 'readdir', path: 'a/b' },
    { op: 'rotate' },
    { op: 'readdir', path: 'a/b/y' },
    { op: 'rename', from: 'a/b/y', to: 'y2' },
    { op: 'remount' },
    { op: 'readdir', path: 'y2' },
    { op: 'rotate' },
    { op: 'read', path: 'y2/z' },
  ],
};

const kernel = await runner.run(kernelTarget, scenario);

t.test('the kernel keeps every child through the moves and rotations', async (t) => {
  t.notOk(kernel.failure);
  t.match(kernel.ops[3]!.result, { ok: true, value: { names: ['x', 'y'] } });
  t.match(kernel.ops[8]!.result, { ok: true, value: { names: ['z'] } });
  t.match(kernel.ops[10]!.result, { ok: true, value: { content: { text: 'd/y/z' } } });
  t.equal(kernel.lowers?.length, 4, 'three rotations: three old uppers are lowers now');
  t.same(diffTraces(kernel, await runner.run(execTarget('mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}'), scenario)), []);
});

t.test('ovl-fuse agrees, redirects on disk included', { skip: !existsSync(join(packageRoot, 'dist/fuse')) && 'ovl-fuse not built' }, async (t) => {
  const diffs = diffTraces(kernel, await runner.run(fuseTarget(), scenario));
  const rules = loadRules(join(suitesDir, 'divergences.json'));
  const left = classify(rules, 'fuse', diffs, scenario.ops).filter((c) => !c.accepted);
  t.same(left.map((c) => c.difference), []);
  t.notOk(diffs.some((d) => d.field.endsWith('overlay.redirect')), 'the same redirect values in every layer');
});
