import t from 'tap';
import { deriveFrom, opPaths, related } from './derived.js';
import type { Difference } from './diff.js';
import type { Op } from './ops.js';

t.test('an op names its paths; fd, dir and mapping handle ops the path they were opened on', async (t) => {
  const ops: Op[] = [
    { op: 'open', path: 'f', access: 'r', fd: 0 },
    { op: 'opendir', path: 'd', dir: 1 },
    { op: 'fdRead', fd: 0, offset: 0, length: 1 },
    { op: 'relist', dir: 1 },
    { op: 'rename', from: 'a', to: 'b/c' },
    { op: 'statfs' },
    { op: 'mutate', layer: 0, action: 'rename', path: 'x', to: 'y' },
    { op: 'mapOpen', path: 'm', access: 'rw', map: 0 },
    { op: 'mapWrite', map: 0, offset: 0, data: 'x' },
    { op: 'unmap', map: 0 },
    { op: 'mapRead', map: 1 },
  ];
  t.same(ops.map((_, i) => opPaths(ops, i)), [['f'], ['d'], ['f'], ['d'], ['a', 'b/c'], [], ['x', 'y'], ['m'], ['m'], ['m'], []]);
});

t.test('related: same name, inside, or the parent dir', async (t) => {
  t.ok(related('a', 'a'));
  t.ok(related('a/b', 'a'));
  t.ok(related('a', 'a/b/c'));
  t.ok(related('.', 'a'), 'the root lists top-level names');
  t.notOk(related('.', 'a/b'));
  t.notOk(related('ab', 'a'));
  t.notOk(related('a/x', 'a/y'));
});

t.test('derivation follows the names a differing op used, in op order, never backwards', async (t) => {
  const ops: Op[] = [
    { op: 'rename', from: 'a', to: 'b', flag: 'noreplace' },
    { op: 'rename', from: 'b', to: 'c' },
    { op: 'read', path: 'c' },
    { op: 'read', path: 'z' },
  ];
  const op = (i: number): Difference => ({ where: 'op', opIndex: i, field: 'result', reference: 'ok', target: 'ENOENT' });
  const tree = (path: string): Difference => ({ where: 'upper', path, field: 'exists', reference: true, target: false });
  const diffs = [op(0), op(1), op(2), op(3), tree('c'), tree('z')];
  t.same(deriveFrom([0], diffs, ops), [undefined, 0, 0, undefined, 0, undefined], '"c" is tainted through op 2, "z" never');
  t.same(deriveFrom([2], diffs, ops), [undefined, undefined, undefined, undefined, 2, undefined], 'earlier ops are not derived');
});
