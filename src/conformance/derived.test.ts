import t from 'tap';
import { deriveFrom, heldAt, opPaths, related } from './derived.js';
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

t.test('heldAt: an op on a name an earlier handle or mapping still holds open', async (t) => {
  const mmap = (path: string): Op => ({ op: 'mmap', path, offset: 0, data: 'x' });
  const at = (ops: Op[]) => heldAt(ops, ops.length - 1);
  t.ok(at([{ op: 'mapOpen', path: 'e', access: 'r', map: 0 }, mmap('e')]), 'a read-only mapping held');
  t.ok(at([{ op: 'open', path: 'e', access: 'r', fd: 2 }, { op: 'stat', path: 'e' }, mmap('e')]), 'an fd held');
  t.ok(at([{ op: 'opendir', path: 'd', dir: 0 }, { op: 'stat', path: 'd' }]), 'a dir handle held');
  t.notOk(at([mmap('e')]), 'nothing opened before');
  t.notOk(at([{ op: 'mapOpen', path: 'e', access: 'r', map: 0 }, { op: 'unmap', map: 0 }, mmap('e')]), 'unmapped first');
  t.notOk(at([{ op: 'open', path: 'e', access: 'r', fd: 2 }, { op: 'close', fd: 2 }, mmap('e')]), 'closed first');
  t.notOk(at([{ op: 'opendir', path: 'e', dir: 0 }, { op: 'closedir', dir: 0 }, mmap('e')]), 'closedir first');
  t.notOk(at([{ op: 'open', path: 'e', access: 'r', fd: 2 }, { op: 'open', path: 'f', access: 'r', fd: 2 }, mmap('e')]), 'its number reused for another file');
  t.ok(at([{ op: 'open', path: 'e', access: 'r', fd: 2 }, { op: 'unmap', map: 2 }, mmap('e')]), 'another kind of handle with the same number released');
  t.notOk(at([{ op: 'mapOpen', path: 'f', access: 'r', map: 0 }, mmap('e')]), 'held on another name');
  t.notOk(at([{ op: 'open', path: 'e', access: 'r' }, mmap('e')]), 'an open that keeps no handle');
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
  t.same(deriveFrom([2, 3], diffs, ops), [undefined, undefined, undefined, undefined, undefined, undefined], 'earlier ops are not derived, nor the disk from a read');
  // A read changes nothing but the atime of what it read (a review: a root listing derived every
  // later difference, a planted chmod of the root and a stray upper file included).
  const atime: Difference = { where: 'remounted', path: 'c', field: 'stat.atime', reference: 1, target: 2 };
  const readField: Difference = { ...op(2), field: 'content' }; // op(2)'s result differs: its value too
  t.same(deriveFrom([0], [op(2), readField, atime, tree('c')], ops), [undefined, 0, 0, undefined], 'its own op, the atime of its name');
  // A read-over: a read that differed, then a write of that very name: each side wrote what it saw.
  const rw: Op[] = [{ op: 'read', path: 'a' }, { op: 'append', path: 'a', data: 'x' }, { op: 'create', path: 'q', data: 'q', mode: 0o644 }];
  const rwOp = (i: number): Difference => ({ where: 'op', opIndex: i, field: 'content', reference: 'old', target: 'new' });
  const upper = (path: string): Difference => ({ where: 'upper', path, field: 'content', reference: 'oldx', target: 'newx' });
  t.same(deriveFrom([0], [rwOp(0), upper('a'), upper('q')], rw), [undefined, 0, undefined], 'after a write of its name: what that write left');
  const listing: Op[] = [{ op: 'readdir', path: '.' }, rw[2]!];
  const list: Difference = { where: 'op', opIndex: 0, field: 'names', reference: [], target: ['x'] };
  t.same(deriveFrom([0], [list, upper('q'), upper('a')], listing), [undefined, undefined, undefined], 'a root listing, then a create in the root: nothing');
});

t.test('derivation reaches every dir above a name an op used (its copy-up changes them), not their other children', async (t) => {
  const ops: Op[] = [{ op: 'unlink', path: 'b/c/a' }];
  const root: Difference = { where: 'op', opIndex: 0, field: 'result', reference: 'ok', target: 'EACCES' };
  const tree = (path: string, field: string): Difference => ({ where: 'upper', path, field, reference: 3, target: 2 });
  const diffs = [root, tree('.', 'stat.nlink'), tree('b', 'stat.nlink'), tree('b/c', 'exists'), tree('x', 'exists'), tree('b/x', 'exists')];
  t.same(deriveFrom([0], diffs, ops), [undefined, 0, 0, 0, undefined, undefined]);
  // A later op on a dir above is its own op: it neither derives from the root nor taints that dir's other names.
  const later: Op[] = [...ops, { op: 'readdir', path: '.' }, { op: 'read', path: 'x' }];
  const opDiff = (i: number): Difference => ({ where: 'op', opIndex: i, field: 'result', reference: 'ok', target: 'EIO' });
  t.same(deriveFrom([0], [root, opDiff(1), opDiff(2)], later), [undefined, undefined, undefined]);
});
