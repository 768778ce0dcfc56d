// Listing order is compared: a planted order difference (the kernel, but with the upper root's
// entries renamed in place before mounting, which reorders them on tmpfs and changes nothing
// else) is caught as an `order` difference alone, unexpected for ovl-fuse and for this target,
// accepted only for a target whose rule documents it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { diffTraces } from '../../src/conformance/diff.js';
import { classify, loadRules } from '../../src/conformance/divergences.js';
import type { Trace } from '../../src/conformance/trace.js';
import { suitesDir } from '../../src/conformance/suite.js';
import { leftovers, sandbox } from './helpers.js';

/** The kernel, after renaming each upper-root entry out and back (newest first on tmpfs: a new order). */
const REORDERED_UPPER =
  "exec:for f in $(ls -A {upperdir} | sort -r); do mv {upperdir}/$f {upperdir}/.o && mv {upperdir}/.o {upperdir}/$f; done; touch -d @1000000000 {upperdir}; mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}";

t.test('a planted order difference is caught and shrunk to an order difference', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', REORDERED_UPPER, '--suite', 'basic', '--seed', '5', '--runs', '60', '--shrink-time', '20']);
  t.equal(r.exitCode, 1, String(r.stdout));
  const u = s.summary().unexpected[0]!;
  const div = JSON.parse(readFileSync(join(s.reportDir(), u.json), 'utf8')) as {
    differences: Array<{ difference: { where: string; field: string; reference: string[]; target: string[] } }>;
  };
  const fields = [...new Set(div.differences.map((d) => d.difference.field))];
  t.same(fields, ['order'], 'only the order differs');
  const d = div.differences[0]!.difference;
  t.same([...d.reference].sort(), [...d.target].sort(), 'the same names');
  t.not(d.reference.join(), d.target.join(), 'in another order');
  t.same(s.leftMounts(), []);
  t.same(leftovers(s.tmp), []);
});

t.test('an order difference is unexpected for ovl-fuse however launched, accepted only where documented', async (t) => {
  const rules = loadRules(join(suitesDir, 'divergences.json'));
  const trace = (order: string[]): Trace => ({
    target: 'x',
    skipped: {},
    ops: [{ op: 'readdir(".")', result: { ok: true, value: { names: ['a', 'b'], order } } }],
    merged: [{ path: '.', order }],
  });
  const diffs = diffTraces(trace(['a', 'b']), trace(['b', 'a']));
  t.same(diffs.map((x) => `${x.where}:${x.field}`), ['op:order', 'merged:order']);
  for (const target of ['fuse', "exec:node /x/bin/ovl-fuse -o lowerdir={lowerdir} {merged}", 'kernel', 'exec:mount -t overlay …']) {
    t.same(classify(rules, target, diffs).map((c) => c.accepted ?? null), [null, null], target);
  }
  const fo = 'exec:fuse-overlayfs -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {merged}';
  t.same(classify(rules, fo, diffs).map((c) => c.accepted ?? null), ['fuse-overlayfs-listing-order', 'fuse-overlayfs-listing-order']);
  // A listing with another set of names is one `names` difference, not also an order one.
  const other = diffTraces(trace(['a', 'b']), { ...trace(['a']), ops: [{ op: 'readdir(".")', result: { ok: true, value: { names: ['a'], order: ['a'] } } }] });
  t.same(other.map((x) => `${x.where}:${x.field}`), ['op:names']);
});
