// A repro script of a scenario with names that are not UTF-8 (src/format/byte-names.ts) replays
// what the worker did on the kernel: bash makes the layers with $'…' names, python runs the ops
// with them (renameat2 included: a review found it encoded the names as strict UTF-8 and died).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { renderRepro } from '../../src/conformance/report/repro.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import type { Scenario } from '../../src/conformance/scenario.js';
import { kernelTarget } from '../../src/conformance/targets.js';

const runner = new ScenarioRunner({ timeoutMs: 60_000 });
t.teardown(() => runner.close());

const scenario: Scenario = {
  lowers: [{
    entries: [
      { path: 'd\udcff', kind: 'dir', mode: 0o755 },
      { path: 'd\udcff/f\udce9', kind: 'file', content: 'x', mode: 0o644 },
      { path: 's\udcfe', kind: 'symlink', target: 'd\udcff/f\udce9' },
    ],
  }],
  upper: { entries: [] },
  ops: [
    { op: 'readdir', path: '.' },
    { op: 'read', path: 's\udcfe' },
    { op: 'rename', from: 'd\udcff', to: 'b', flag: 'noreplace' },
    { op: 'rename', from: 'd\udcff/f\udce9', to: 'g\udcfd', flag: 'noreplace' },
    { op: 'readdir', path: '.' },
    { op: 'unlink', path: 's\udcfe' },
  ],
};

t.test('the repro script makes and uses such names as the worker did', async (t) => {
  const kernel = await runner.run(kernelTarget, scenario);
  const results = kernel.ops.map((o) => (o.result.ok ? 'ok' : `errno ${o.result.errno}`));
  t.same(results, ['ok', 'ok', 'errno EXDEV', 'ok', 'ok', 'ok'], 'the worker, on the kernel');
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-bytes-repro-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'repro.sh');
  const result = { suite: 'rename', index: 1, status: 'pass' as const, scenario, classified: [], reference: kernel, target: kernel, ms: 0 };
  writeFileSync(script, renderRepro(result, { id: 'rename-run1', suite: 'rename', seed: 1, target: 'kernel' }));
  t.match(renderRepro(result, { id: 'rename-run1', suite: 'rename', seed: 1, target: 'kernel' }), "mkdir $'l1/d\\xff'", 'bash spells the name by its bytes');
  const r = await execa('bash', [script], { reject: false, env: { TMPDIR: dir } });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stderr, '', 'nothing on stderr (the upper dump once split names wrongly)');
  const here = r.stdout.split('\n').filter((l) => l.includes('here:')).map((l) => l.replace(/^\s*here:\s*/, ''));
  t.same(here.map((h) => (h.startsWith('errno') ? h : 'ok')), results, 'every op as the worker ran it');
  t.match(r.stdout, 'd\\xff', 'op lines show the byte as \\xff');
});
