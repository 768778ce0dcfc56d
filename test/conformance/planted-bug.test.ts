// The suite catches a deliberately broken target and shrinks it to a small scenario: the kernel
// mounted with its lowers in reverse order, and the kernel with a stray file planted in the upper.
// The saved divergence replays, and its standalone script reproduces the difference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import type { Scenario } from '../../src/conformance/scenario.js';
import { KERNEL_EXEC, leftovers, sandbox, STRAY_UPPER_FILE, SWAPPED_LOWERS } from './helpers.js';

const entries = (s: Scenario) => [...s.lowers, s.upper].reduce((n, l) => n + l.entries.length, 0);

t.test('lowers in reverse order: caught, shrunk to two one-entry lowers, replayable', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', SWAPPED_LOWERS, '--suite', 'basic', '--seed', '3', '--runs', '40']);
  t.equal(r.exitCode, 1, 'an unexpected divergence exits 1');
  const sum = s.summary();
  // One shrunk divergence per category, each a different kind of difference.
  const categories = sum.unexpected.map((x) => (x as { category?: string }).category);
  t.ok(sum.unexpected.length >= 1);
  t.equal(new Set(categories).size, categories.length, `distinct categories: ${categories.join(', ')}`);
  const u = sum.unexpected[0]!;
  const dir = s.reportDir();
  t.match(String(r.stdout), `unexpected divergence ${u.id}`);
  t.match(String(r.stdout), '--replay ');
  const div = JSON.parse(readFileSync(join(dir, u.json), 'utf8')) as { scenario: Scenario; original: Scenario; shrinks: number };
  t.equal(div.scenario.lowers.length, 2, 'the bug needs exactly two lowers');
  t.ok(entries(div.scenario) <= 3, `minimal scenario has ${entries(div.scenario)} entries`);
  t.ok(div.scenario.ops.length <= 1, `minimal scenario has ${div.scenario.ops.length} ops`);
  t.ok(entries(div.original) + div.original.ops.length >= entries(div.scenario) + div.scenario.ops.length, 'shrinking never grows');
  t.ok(u.shrinks > 0);
  t.equal(u.shrunk, true);
  t.match(readFileSync(join(dir, 'report.md'), 'utf8'), `### ${u.id}`);

  // The saved scenario replays: still divergent on the broken target, clean on an honest one.
  const again = await s.run(['run', '--target', SWAPPED_LOWERS, '--replay', join(dir, u.json)]);
  t.equal(again.exitCode, 1);
  const honest = await s.run(['run', '--target', KERNEL_EXEC, '--replay', join(dir, u.json)]);
  t.equal(honest.exitCode, 0, String(honest.stderr));
  // Without --target it runs where it was found (it ran the kernel against itself and passed), at its seed.
  const own = await s.run(['run', '--replay', join(dir, u.json)]);
  t.equal(own.exitCode, 1, String(own.stderr));
  t.match(JSON.parse(readFileSync(join(s.reportDir(), 'summary.json'), 'utf8')), { target: SWAPPED_LOWERS, seed: 3 });

  // The standalone script shows the difference with plain mount commands.
  const script = join(dir, u.repro);
  const where = join(s.tmp, 'where');
  const kernel = await execa('bash', [script], { reject: false, env: { TMPDIR: s.tmp, MOUNT_CMD: `echo "$PWD" > ${where} && ${KERNEL_EXEC.slice(5)}` } });
  t.equal(kernel.exitCode, 0, kernel.stderr);
  t.match(readFileSync(where, 'utf8'), new RegExp(`^${s.tmp}/ovl-repro-`), 'its dirs are under $TMPDIR');
  t.match(kernel.stdout, '== merged tree');
  const swapped = await execa('bash', [script], { reject: false, env: { TMPDIR: s.tmp, MOUNT_CMD: SWAPPED_LOWERS.slice(5) } });
  t.equal(swapped.exitCode, 0, swapped.stderr);
  t.not(swapped.stdout, kernel.stdout, 'the script output differs between the kernel and the broken target');
  t.same(s.leftMounts(), []);
});

t.test('a stray file in the upper: shrunk to the empty scenario', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', STRAY_UPPER_FILE, '--suite', 'whiteouts', '--seed', '11', '--runs', '20']);
  t.equal(r.exitCode, 1);
  const u = s.summary().unexpected[0]!;
  const div = JSON.parse(readFileSync(join(s.reportDir(), u.json), 'utf8')) as {
    scenario: Scenario;
    differences: Array<{ difference: { where: string; path?: string; field: string } }>;
  };
  t.equal(entries(div.scenario), 0);
  t.equal(div.scenario.ops.length, 0);
  t.ok(div.differences.some((d) => d.difference.where === 'merged' && d.difference.path === 'planted' && d.difference.field === 'exists'));
  t.ok(div.differences.some((d) => d.difference.where === 'upper' && d.difference.path === 'planted'));
  t.same(s.leftMounts(), []);
  t.same(leftovers(s.tmp), []);
});
