// A repro script of the access suite replays what the worker did: layer objects owned by the user
// and carrying ACLs, ops run as that user, setfacl/getfacl. Run on the kernel, each op's result
// there ("here:") is the one the worker recorded on the kernel.
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
      { path: 'd', kind: 'dir', mode: 0o755, owner: 1000, defaultAcl: 'u::rwx,u:1000:rwx,g::r-x,m::rwx,o::---' },
      { path: 'secret', kind: 'file', content: 'x', mode: 0o600, acl: 'u::rw-,u:1000:r--,g::---,m::r--,o::---' },
      { path: 'open', kind: 'file', content: 'y', mode: 0o644, acl: 'u::rw-,u:1000:---,g::r--,m::r--,o::r--' },
    ],
  }],
  upper: { entries: [] },
  ops: [
    { op: 'read', path: 'secret', as: 1000 },
    { op: 'read', path: 'open', as: 1000 },
    { op: 'read', path: 'open' },
    { op: 'create', path: 'd/new', data: 'z', mode: 0o666, as: 1000 },
    { op: 'getacl', path: 'd/new', which: 'access' },
    { op: 'stat', path: 'd/new' },
    { op: 'setacl', path: 'd/new', which: 'access', acl: 'u::rw-,g::r--,o::---', as: 1000 },
    { op: 'getacl', path: 'secret', which: 'default' },
    { op: 'chmod', path: 'secret', mode: 0o644, as: 1000 },
  ],
};

t.test('the repro script runs ops as their user over owners and ACLs, as the worker does', async (t) => {
  const kernel = await runner.run(kernelTarget, scenario);
  const results = kernel.ops.map((o) => (o.result.ok ? 'ok' : `errno ${o.result.errno}`));
  t.same(results, [
    'ok', 'errno EACCES', 'ok', 'ok', 'ok', 'ok', 'ok', 'errno ENODATA', 'errno EPERM',
  ], 'the worker: a named entry grants what the mode denies and denies what "other" allows; root reads; the user owns d/new');
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-access-repro-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'repro.sh');
  const result = { suite: 'access', index: 1, status: 'pass' as const, scenario, classified: [], reference: kernel, target: kernel, ms: 0 };
  writeFileSync(script, renderRepro(result, { id: 'access-run1', suite: 'access', seed: 1, target: 'kernel' }));
  const r = await execa('bash', [script], { reject: false, env: { TMPDIR: dir } });
  t.equal(r.exitCode, 0, r.stderr);
  const here = r.stdout.split('\n').filter((l) => l.includes('here:')).map((l) => l.replace(/^\s*here:\s*/, ''));
  t.equal(here.length, scenario.ops.length);
  t.match(here[0], "'text': 'x'", 'a 0600 file of root read by the user its ACL names');
  t.same(here.map((h) => (h.startsWith('errno') ? h : 'ok')), results.map((r) => (r.startsWith('errno') ? r : 'ok')), 'every op as the worker ran it');
  t.match(here[4], 'acl:u::rw-,u:1000:rwx,g::r-x,m::rw-,o::---', 'the inherited ACL, as text');
});
