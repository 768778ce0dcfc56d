// A target that does not stamp ctime on chown(path, -1, -1) is caught and shrunk to that one op.
// The target is real, not simulated: ovl-fuse on its previous transport (-o transport=fuse-native),
// where libfuse 2's high-level API never passes such a chown on (the accepted rule
// ovl-fuse-chown-noop-ctime). Run with the project's rules minus that one, as docs/check.md says to
// see what a rule hides; every other fuse-native limit stays accepted by its own rule.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Scenario } from '../../src/conformance/scenario.js';
import { packageRoot } from '../../src/conformance/targets.js';
import { leftovers, sandbox } from './helpers.js';

const RULE = 'ovl-fuse-chown-noop-ctime';
const NATIVE = `exec:OVL_FUSE_NODE=${process.execPath} ${packageRoot}bin/ovl-fuse -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir},transport=fuse-native{options} {merged}`;

t.test('chown(p, -1, -1) without a ctime change: caught, shrunk to the one op, accepted only by its rule', { skip: !existsSync(join(packageRoot, 'dist/bundle/ovl-fuse.js')) && 'ovl-fuse not built' }, async (t) => {
  const s = sandbox(t);
  const all = JSON.parse(readFileSync(join(packageRoot, 'suites/divergences.json'), 'utf8')) as { rules: Array<{ id: string }> };
  t.ok(all.rules.some((r) => r.id === RULE), 'the rule exists');
  const without = join(s.tmp, '..', 'divergences-without-ctime.json');
  writeFileSync(without, JSON.stringify({ ...all, rules: all.rules.filter((r) => r.id !== RULE) }));

  const r = await s.run(['run', '--target', NATIVE, '--suite', 'observe', '--seed', '7', '--runs', '25', '--shrink-time', '30', '--divergences', without]);
  t.equal(r.exitCode, 1, String(r.stderr));
  const dir = s.reportDir();
  const unexpected = s.summary().unexpected;
  const found = unexpected.map((u) => JSON.parse(readFileSync(join(dir, u.json), 'utf8')) as {
    scenario: Scenario;
    differences: Array<{ difference: { where: string; field: string; reference: unknown; target: unknown } }>;
  });
  const at = found.findIndex((d) => d.differences.some((x) => x.difference.field === 'fields.ctime'));
  const ctime = found[at];
  t.ok(ctime, 'a ctime divergence is reported');
  t.same(ctime?.scenario.ops, [{ op: 'ctime', path: '.', via: 'chown' }], 'shrunk to the chown -1 -1 alone, on the root');
  const diff = ctime?.differences.find((x) => x.difference.field === 'fields.ctime')?.difference;
  t.same([diff?.reference, diff?.target], ['later', 'same'], 'the kernel moves ctime, the target does not');

  // With its rule the same scenario is accepted, not hidden: it replays as accepted, exit 0.
  const again = await s.run(['run', '--target', NATIVE, '--replay', join(dir, unexpected[at]!.json)]);
  t.equal(again.exitCode, 0, String(again.stderr));
  t.equal(s.summary().totals.accepted, 1);
  t.same(s.leftMounts(), []);
  t.same(leftovers(s.tmp), []);
});
