import t from 'tap';
import { diffTraces, firstParting } from './diff.js';
import type { Trace } from './trace.js';

const stat = { type: 'file', mode: '0644', size: 1, nlink: 1, uid: 0, gid: 0, ino: 'op1', mtime: 1e9, atime: 1e9 };
const base = (): Trace => ({
  target: 'kernel',
  skipped: {},
  ops: [
    { op: 'stat("a")', result: { ok: true, value: { stat: { ...stat } } } },
    { op: 'unlink("b")', result: { ok: false, errno: 'ENOENT' } },
  ],
  merged: [{ path: '.', stat: { ...stat, type: 'dir' } }, { path: 'a', stat: { ...stat }, content: { size: 1, sha: 'x', text: 'A' } }],
  upper: [{ path: '.', stat: { ...stat, type: 'dir' }, xattrs: { 'trusted.overlay.uuid': '<uuid>' } }],
  lowers: [[{ path: '.', stat: { ...stat, type: 'dir' } }]],
});

t.test('identical traces have no differences, whatever the target name', async (t) => {
  t.same(diffTraces(base(), { ...base(), target: 'fuse' }), []);
});

t.test('each differing field is reported where it is, with both values and the object type', async (t) => {
  const b = base();
  b.ops[1]!.result = { ok: true };
  (b.ops[0]!.result as { ok: true; value: { stat: typeof stat } }).value.stat.nlink = 2;
  b.merged!.push({ path: 'extra', stat: { ...stat } });
  b.upper![0]!.xattrs = {};
  const d = diffTraces(base(), b);
  t.same(
    d.map((x) => [x.where, x.opIndex ?? x.path, x.field, x.reference, x.target, x.type ?? null]),
    [
      ['op', 0, 'stat.nlink', 1, 2, 'file'],
      ['op', 1, 'result', 'ENOENT', 'ok', null],
      ['merged', 'extra', 'exists', false, true, null],
      ['upper', '.', 'xattr:trusted.overlay.uuid', '<uuid>', null, 'dir'],
    ],
  );
  t.equal(firstParting(d), 0);
  t.equal(firstParting(d.filter((x) => x.where !== 'op')), undefined);
});

t.test('a target failure is a difference; the same failure on both sides is not', async (t) => {
  const a = { ...base(), failure: { phase: 'mount' as const, reason: 'kernel words' } };
  const b = { ...base(), failure: { phase: 'mount' as const, reason: 'other words' } };
  t.same(diffTraces(a, b), []);
  const d = diffTraces(base(), b);
  t.equal(d.length, 1);
  t.equal(d[0]!.where, 'failure');
});

t.test('where neither trace failed, what one observed and the other did not is a difference', async (t) => {
  const b = base();
  delete b.upper;
  b.lowers!.push([]);
  b.ops.pop();
  t.same(
    diffTraces(base(), b).map((x) => [x.where, x.field, x.reference, x.target]),
    [['setup', 'ops observed', 2, 1], ['upper', 'observed', true, false], ['l2', 'observed', false, true]],
  );
  const failed = { ...b, failure: { phase: 'op' as const, opIndex: 1, reason: 'hung' } };
  t.same(diffTraces(base(), failed).map((x) => x.where), ['failure'], 'a failed trace: only its failure');
});
