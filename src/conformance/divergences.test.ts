import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import type { Difference } from './diff.js';
import { type AcceptRule, classify, loadRules } from './divergences.js';
import { suitesDir } from './suite.js';

const nlink: Difference = { where: 'merged', path: 'd', field: 'stat.nlink', type: 'dir', reference: 1, target: 2 };
const fileNlink: Difference = { ...nlink, path: 'f', type: 'file' };
const rules: AcceptRule[] = [
  { id: 'dir-nlink', targets: ['exec:*fuse-overlayfs*'], where: ['merged', 'op'], field: 'stat.nlink', type: 'dir', reason: 'r', spec: 'S37' },
];

t.test('a rule applies only to its targets, places, fields and object types', async (t) => {
  const fo = 'exec:fuse-overlayfs -o lowerdir={lowerdir} {merged}';
  t.same(classify(rules, fo, [nlink, fileNlink]).map((c) => c.accepted ?? null), ['dir-nlink', null]);
  t.same(classify(rules, 'fuse', [nlink]).map((c) => c.accepted ?? null), [null]);
  t.same(classify(rules, fo, [{ ...nlink, where: 'upper' }]).map((c) => c.accepted ?? null), [null]);
  t.same(classify(rules, fo, [{ ...nlink, where: 'op', opIndex: 0 }]).map((c) => c.accepted ?? null), ['dir-nlink']);
});

t.test('an `after` rule accepts everything from the first matching op on, and only in such scenarios', async (t) => {
  const after: AcceptRule[] = [{ id: 'flags', targets: ['fuse'], after: 'rename(*, noreplace)', reason: 'r', spec: 'S55' }];
  const ops = ['stat("a")', 'rename("a" -> "b", noreplace)', 'read("b")'];
  const early: Difference = { where: 'op', opIndex: 0, op: ops[0], field: 'result', reference: 'ok', target: 'EIO' };
  const atOp: Difference = { ...early, opIndex: 1, op: ops[1] };
  const later: Difference = { ...early, opIndex: 2, op: ops[2] };
  const final: Difference = { where: 'merged', path: 'b', field: 'exists', reference: true, target: false };
  t.same(classify(after, 'fuse', [early, atOp, later, final], ops).map((c) => c.accepted ?? null), [null, 'flags', 'flags', 'flags']);
  t.same(classify(after, 'fuse', [final], ['stat("a")']).map((c) => c.accepted ?? null), [null], 'no such op: never');
  t.same(classify(after, 'kernel', [later], ops).map((c) => c.accepted ?? null), [null], 'other targets: never');
});

t.test('a `value` pattern matches the target side as JSON', async (t) => {
  const byValue: AcceptRule[] = [{ id: 'refused', targets: ['fuse'], where: 'failure', value: '*unsupported mount option index=on*', reason: 'r', spec: 'S11' }];
  const refused: Difference = { where: 'failure', field: 'failure', reference: null, target: { phase: 'mount', reason: 'ovl-fuse: unsupported mount option index=on: …' } };
  const crashed: Difference = { ...refused, target: { phase: 'op', reason: 'daemon died' } };
  t.same(classify(byValue, 'fuse', [refused, crashed]).map((c) => c.accepted ?? null), ['refused', null]);
});

t.test('the shipped list loads and every rule names a reason and a spec item', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  t.ok(shipped.length > 0);
  for (const r of shipped) t.match(r, { id: String, reason: String, spec: /S\d+/ });
});

t.test('the shipped ovl-fuse rules hold however ovl-fuse is launched (--target fuse or exec:)', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const fsid: Difference = { where: 'op', opIndex: 0, op: 'statfs()', field: 'statfs.fsidSet', reference: true, target: false };
  for (const target of ['fuse', 'exec:node /x/bin/ovl-fuse -o lowerdir={lowerdir} {merged}']) {
    t.same(classify(shipped, target, [fsid]).map((c) => c.accepted ?? null), ['ovl-fuse-statfs-fsid'], target);
  }
  t.same(classify(shipped, 'exec:fuse-overlayfs {merged}', [fsid]).map((c) => c.accepted ?? null), [null]);
});

t.test('a malformed list is a usage error naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'd.json');
  writeFileSync(f, '{"rules": [{"id": "x"}]}');
  t.throws(() => loadRules(f), UsageError);
  t.throws(() => loadRules(join(dir, 'missing.json')), { message: /missing\.json: cannot read/ });
});
