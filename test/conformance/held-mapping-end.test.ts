// A MAP_SHARED mapping stored to and still held when the scenario ends: the worker releases it
// as the unmap op does (msync, then munmap and close), so the store is in the file the observer
// walks, through the mount and in the upper on disk, on both targets. On 6.18 this held before
// closeAll synced too (overlayfs, and ovl-fuse's passthrough, map the upper file's own page cache;
// a FUSE mapping's dirty pages are written back when it is unmapped, fuse_vma_close): it guards
// the targets, while
// src/conformance/exec-op.test.ts is the test of closeAll's msync itself.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { diffTraces } from '../../src/conformance/diff.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import type { Scenario } from '../../src/conformance/scenario.js';
import type { Trace } from '../../src/conformance/trace.js';
import { fuseTarget, kernelTarget, packageRoot } from '../../src/conformance/targets.js';

const runner = new ScenarioRunner({ timeoutMs: 60_000 });
t.teardown(() => runner.close());

const file = (path: string, content: string) => ({ path, kind: 'file' as const, content, mode: 0o644 });
const scenario: Scenario = {
  lowers: [{ entries: [file('a', 'hello')] }],
  upper: { entries: [file('u', 'upper')] },
  ops: [
    { op: 'mapOpen', path: 'u', access: 'rw', map: 0 },
    { op: 'mapWrite', map: 0, offset: 0, data: 'XY' },
    { op: 'mapOpen', path: 'a', access: 'rw', map: 1 },
    { op: 'mapWrite', map: 1, offset: 1, data: 'EL' },
  ],
};

const text = (tr: Trace, where: 'merged' | 'upper', path: string) => tr[where]?.find((e) => e.path === path)?.content?.text;

for (const [name, target] of [
  ['kernel', kernelTarget],
  ['ovl-fuse', existsSync(join(packageRoot, 'dist/fuse')) ? fuseTarget() : undefined],
] as const) {
  t.test(`${name}: stores left in held mappings reach the file before it is observed`, { skip: !target && 'ovl-fuse not built' }, async (t) => {
    const tr = await runner.run(target!, scenario);
    t.notOk(tr.failure, JSON.stringify(tr.failure));
    t.same(tr.ops.map((o) => o.result.ok), [true, true, true, true]);
    t.equal(text(tr, 'merged', 'u'), 'XYper', 'through the mount');
    t.equal(text(tr, 'merged', 'a'), 'hELlo', 'through the mount, copied up');
    t.equal(text(tr, 'upper', 'u'), 'XYper', 'in the upper on disk');
    t.equal(text(tr, 'upper', 'a'), 'hELlo', 'in the upper on disk, copied up');
  });
}

t.test('the two targets agree on the whole trace', { skip: !existsSync(join(packageRoot, 'dist/fuse')) && 'ovl-fuse not built' }, async (t) => {
  t.same(diffTraces(await runner.run(kernelTarget, scenario), await runner.run(fuseTarget(), scenario)), []);
});
