import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import type { Difference } from './diff.js';
import { type AcceptRule, appliesTo, classify, loadRules } from './divergences.js';
import { describeOp, type Op } from './ops.js';
import { scenarioLowerFacts } from './scenario.js';
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

t.test('a `derives` rule accepts its op and links later differences on the same names to it', async (t) => {
  const flags: AcceptRule[] = [{ id: 'flags', targets: ['fuse'], where: 'op', op: 'rename(*, noreplace)', field: 'result', value: '"EINVAL"', derives: true, reason: 'r', spec: 'S55' }];
  const ops: Op[] = [{ op: 'stat', path: 'a' }, { op: 'rename', from: 'a', to: 'b', flag: 'noreplace' }, { op: 'read', path: 'b' }, { op: 'read', path: 'c' }];
  const d = (i: number, target: unknown): Difference => ({ where: 'op', opIndex: i, op: describeOp(ops[i]!), field: 'result', reference: 'ok', target });
  const merged = (path: string): Difference => ({ where: 'merged', path, field: 'exists', reference: path === 'b', target: path !== 'b' });
  const got = classify(flags, 'fuse', [d(0, 'EIO'), d(1, 'EINVAL'), d(2, 'ENOENT'), d(3, 'EIO'), merged('a'), merged('b'), merged('x/y')], ops);
  t.same(got.map((c) => c.accepted ?? null), [null, 'flags', 'flags', null, 'flags', 'flags', null], 'before the op and on other names: unexpected');
  t.same(got.map((c) => c.derivedFrom ?? null), [null, null, 1, null, 1, 1, null]);
  t.same(classify(flags, 'fuse', [d(1, 'EXDEV')], ops).map((c) => c.accepted ?? null), [null], 'another errno is not the limitation');
  t.same(classify(flags, 'kernel', [d(1, 'EINVAL')], ops).map((c) => c.accepted ?? null), [null], 'other targets: never');
});

t.test('an `afterLayerChange` rule: only after a mutate, only ops and the merged tree, never EIO', async (t) => {
  const lc: AcceptRule[] = [{ id: 'lc', targets: ['*'], afterLayerChange: true, reason: 'r', spec: 'S39' }];
  const ops: Op[] = [{ op: 'read', path: 'a' }, { op: 'mutate', layer: 0, action: 'write', path: 'a', data: 'x' }, { op: 'read', path: 'a' }];
  const read = (i: number, target: unknown): Difference => ({ where: 'op', opIndex: i, op: describeOp(ops[i]!), field: 'content', reference: 'old', target });
  const tree = (where: string, target: unknown): Difference => ({ where, path: 'a', field: 'content', reference: 'old', target });
  const got = classify(lc, 'fuse', [read(0, 'new'), read(2, 'EIO'), tree('merged', 'new'), tree('upper', 'new'), tree('remounted', 'new'), tree('merged', { errno: 'EIO' })], ops);
  t.same(got.map((c) => c.accepted ?? null), [null, null, 'lc', null, null, null], 'the disk and a fresh mount are invariants');
  const after = classify(lc, 'fuse', [read(2, 'new'), tree('upper', 'new'), tree('remounted', 'new'), { ...tree('upper', 'x'), path: 'b' }], ops);
  t.same(after.map((c) => [c.accepted ?? null, c.derivedFrom ?? null]), [['lc', null], [null, null], [null, null], [null, null]], 'nor after a read of it differed: a read writes nothing');
  const appended: Op[] = [ops[0]!, ops[1]!, { op: 'append', path: 'a', data: 'y' }];
  const append: Difference = { where: 'op', opIndex: 2, op: describeOp(appended[2]!), field: 'result', reference: 'ok', target: 'ENOENT' };
  const wrote = classify(lc, 'fuse', [append, tree('upper', 'new'), tree('remounted', 'new'), { ...tree('upper', 'x'), path: 'b' }], appended);
  t.same(wrote.map((c) => [c.accepted ?? null, c.derivedFrom ?? null]), [['lc', null], ['lc', 0], ['lc', 0], [null, null]], 'unless a write to it differed');
  // The root as the dir above a changed name: its listing after a name added, not its mode, not after a write in place.
  const rootOps: Op[] = [{ op: 'mutate', layer: 0, action: 'add', path: 'n', data: 'x' }, { op: 'readdir', path: '.' }, { op: 'stat', path: '.' }];
  const onRoot = (i: number, field: string): Difference => ({ where: 'op', opIndex: i, op: describeOp(rootOps[i]!), field, reference: 1, target: 2 });
  t.same(classify(lc, 'fuse', [onRoot(1, 'names'), onRoot(2, 'stat.mode'), onRoot(2, 'stat.mtime')], rootOps).map((c) => c.accepted ?? null), ['lc', null, 'lc'], 'a name added: the root listing and times');
  const written: Op[] = [{ op: 'mutate', layer: 0, action: 'write', path: 'a', data: 'x' }, rootOps[1]!];
  t.same(classify(lc, 'fuse', [{ ...onRoot(1, 'names'), op: describeOp(written[1]!) }], written).map((c) => c.accepted ?? null), [null], 'a write in place: not the root');
  t.same(classify(lc, 'fuse', [onRoot(1, 'fields.n')], rootOps).map((c) => c.accepted ?? null), ['lc'], "a dirents listing's entry for the added name");
  const failed = { referenceOk: (i: number) => i !== 0 };
  t.same(classify(lc, 'fuse', [onRoot(1, 'names')], rootOps, new Set(), failed).map((c) => c.accepted ?? null), [null], 'a change the kernel could not make changed nothing');
  t.same(classify(lc, 'fuse', [read(2, 'new')], [ops[0]!, ops[0]!, ops[2]!]).map((c) => c.accepted ?? null), [null], 'no layer change: never');
  // A file only one side showed was read by that side's observer only (seed 211, lower-mutation).
  const seen: Difference = { where: 'merged', path: 'a', field: 'errno', reference: 'ENOENT', target: null };
  const atime = (path: string, field = 'stat.atime'): Difference => ({ where: 'remounted', path, field, reference: 1, target: 'now' });
  const observed = classify(lc, 'fuse', [seen, atime('a'), atime('b'), atime('a', 'stat.mtime')], ops);
  t.same(observed.map((c) => [c.accepted ?? null, c.derivedFrom ?? null]), [['lc', null], ['lc', 0], [null, null], [null, null]], 'the remounted atime of that file only');
  const both: Difference = { where: 'merged', path: 'a', field: 'content', reference: 'old', target: 'new' };
  t.same(classify(lc, 'fuse', [both, atime('a')], ops).map((c) => c.accepted ?? null), ['lc', null], 'not where both sides read it');
  const eacces: Difference = { where: 'merged', path: 'a', field: 'errno', reference: 'EACCES', target: null };
  t.same(classify(lc, 'fuse', [eacces, atime('a')], ops).map((c) => c.accepted ?? null), ['lc', null], 'nor where neither side lacked it');
  // A dir the kernel still stats but cannot list (seed 311): only ovl-fuse's observer listed it.
  const unlisted: Difference = { where: 'merged', path: 'a', field: 'readErrno', reference: 'ENOENT', target: null };
  t.same(classify(lc, 'fuse', [unlisted, atime('a')], ops).map((c) => [c.accepted ?? null, c.derivedFrom ?? null]), [['lc', null], ['lc', 0]], 'read on one side only');
  const unreadBoth: Difference = { where: 'merged', path: 'a', field: 'readErrno', reference: 'ENOENT', target: 'EIO' };
  t.same(classify(lc, 'fuse', [unreadBoth, atime('a')], ops).map((c) => c.accepted ?? null), [null, null], 'an EIO is never accepted, nor what follows');
});

t.test('an `afterOp` rule: only after that op, only on the names it used', async (t) => {
  const rule: AcceptRule[] = [{ id: 'mm', targets: ['*'], field: 'stat.mtime', afterOp: 'mmap(*', reason: 'r', spec: 'S47' }];
  const ops: Op[] = [{ op: 'stat', path: 'a' }, { op: 'mmap', path: 'a', offset: 0, data: 'x' }, { op: 'stat', path: 'a' }, { op: 'stat', path: 'b' }];
  const stat = (i: number): Difference => ({ where: 'op', opIndex: i, op: describeOp(ops[i]!), field: 'stat.mtime', reference: 1, target: 2 });
  const tree = (path: string): Difference => ({ where: 'upper', path, field: 'stat.mtime', reference: 1, target: 2 });
  const got = classify(rule, 'fuse', [stat(0), stat(2), stat(3), tree('a'), tree('b')], ops);
  t.same(got.map((c) => c.accepted ?? null), [null, 'mm', null, 'mm', null], 'before the op and other names stay unexpected');
});

t.test('mtime after mmap stores: accepted where stores reach the daemon as WRITEs, never on the passthrough default', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const ops: Op[] = [
    { op: 'mapOpen', path: 'a', access: 'rw', map: 0 },
    { op: 'mapWrite', map: 0, offset: 0, data: 'x' },
    { op: 'unmap', map: 0 },
    { op: 'mapOpen', path: 'r', access: 'r', map: 1 },
  ];
  const tree = (path: string): Difference => ({ where: 'upper', path, type: 'file', field: 'stat.mtime', reference: 1000000000, target: 'now' });
  const off = 'exec:node bin/ovl-fuse -o lowerdir={lowerdir},passthrough=off {merged}';
  t.same(classify(shipped, off, [tree('a'), tree('r')], ops).map((c) => c.accepted ?? null), ['user-space-mmap-write-mtime', null], 'a held writable mapping; a read-only one stores nothing');
  t.same(classify(shipped, 'fuse', [tree('a')], ops).map((c) => c.accepted ?? null), [null], 'passthrough maps the upper file itself');
  t.notOk(appliesTo(shipped.find((r) => r.id === 'user-space-mmap-write-mtime')!, 'exec:node bin/ovl-fuse -o lowerdir={lowerdir} {merged}'));
});

t.test('mtime after an mmap store beside a held open: accepted on the default transport only while that open is held', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  // The shrunk scenario of observe-run14 (seed 1122472193, 2026-12-04): a read-only mapping of a
  // lower file held, then a store through a new mapping of it (which copies it up).
  const held: Op[] = [{ op: 'mapOpen', path: 'e', access: 'r', map: 0 }, { op: 'mmap', path: 'e', offset: 0, data: 'a' }];
  const released: Op[] = [held[0]!, { op: 'unmap', map: 0 }, held[1]!];
  const diff = (where: string, path = 'e'): Difference => ({ where, path, type: 'file', field: 'stat.mtime', reference: 1000000000, target: 'now' });
  const id = 'ovl-fuse-mmap-write-beside-cached-open';
  t.same(classify(shipped, 'fuse', [diff('merged'), diff('upper'), diff('merged', 'x')], held).map((c) => c.accepted ?? null), [id, id, null], 'held: its mtime, no other name');
  t.same(classify(shipped, 'fuse', [diff('merged')], released).map((c) => c.accepted ?? null), [null], 'released first: passthrough, compared');
  t.same(classify(shipped, 'fuse', [{ ...diff('merged'), field: 'content' }], held).map((c) => c.accepted ?? null), [null], 'only mtime');
  t.same(classify(shipped, 'kernel', [diff('merged')], held).map((c) => c.accepted ?? null), [null], 'not for other targets');
});

t.test('atime after a pread through an fd opened before a copy-up: accepted on ovl-fuse only after that pread', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  // fd-across-copy-up run 25 (seed 123, 2026-12-04), shrunk: the fd's read at the truncated size never reaches the daemon.
  const ops: Op[] = [
    { op: 'open', path: 'b', access: 'r', fd: 0 },
    { op: 'open', path: 'b', access: 'r', trunc: true },
    { op: 'fdRead', fd: 0, offset: 0, length: 1 },
  ];
  const atime: Difference = { where: 'merged', path: 'b', type: 'file', field: 'stat.atime', reference: 'now', target: 1000000000 };
  const lowerB = { lowerPaths: new Set(['b']) };
  t.same(classify(shipped, 'fuse', [atime], ops, new Set(), lowerB).map((c) => c.accepted ?? null), ['ovl-fuse-cached-read-atime']);
  t.same(classify(shipped, 'fuse', [atime], ops.slice(0, 2), new Set(), lowerB).map((c) => c.accepted ?? null), [null], 'no pread: compared');
  t.same(classify(shipped, 'fuse', [{ ...atime, field: 'stat.mtime' }], ops, new Set(), lowerB).map((c) => c.accepted ?? null), [null], 'only atime');
  // A review: an upper-only file read through an fd was accepted too, where no lower file is read.
  t.same(classify(shipped, 'fuse', [atime], ops, new Set(), { lowerPaths: new Set(['a']) }).map((c) => c.accepted ?? null), [null], 'a file only in the upper: compared');
});

t.test('after a lower file is renamed in its layer: the names it used, through a mount only', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  // lower-mutation run 21 of the main job (seed 1128796639, 2026-12-04), shrunk.
  const ops: Op[] = [
    { op: 'append', path: 'a', data: 'a' },
    { op: 'mutate', layer: 0, action: 'rename', path: 'a', to: 'b' },
  ];
  const at = (where: string, path = 'b'): Difference => ({ where, path, type: 'file', field: 'content', reference: 'a', target: '' });
  const copied = { copiedUpPaths: new Set(['a']) };
  const got = classify(shipped, 'fuse', [at('remounted'), at('upper'), at('remounted', 'c')], ops, new Set(), copied).map((c) => c.accepted ?? null);
  t.same(got, ['kernel-origin-alias-after-lower-rename', null, null], 'not on disk, not another name');
  t.same(classify(shipped, 'fuse', [at('remounted')], ops.slice(0, 1), new Set(), copied).map((c) => c.accepted ?? null), [null], 'no rename: compared');
  // A review: lowers mounted in reverse, a lower rename with nothing copied up, accepted.
  t.same(classify(shipped, 'fuse', [at('remounted')], ops, new Set(), { copiedUpPaths: new Set<string>() }).map((c) => c.accepted ?? null), [null], 'nothing copied up: compared');
});

t.test('listing order beside a held dir handle: only while an earlier opendir of that dir is held, after an op on its entries', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  // The shrunk scenario of lower-mutation-run66 (seed 304, 2026-12-05).
  const seen: Op[] = [{ op: 'opendir', path: '.', dir: 0 }, { op: 'open', path: 'a', access: 'w', trunc: false, append: false, creat: false, excl: false }];
  const order = (ops: Op[], i: number, field = 'order'): Difference => ({ where: 'op', opIndex: i, op: describeOp(ops[i]!), field, reference: ['d', 'a'], target: ['a', 'd'] });
  const accepted = (ops: Op[], d: Difference, target = 'fuse') => classify(shipped, target, [d], ops)[0]!.accepted ?? null;
  const held = [...seen, { op: 'readdir', path: '.' } as Op];
  t.equal(accepted(held, order(held, 2)), 'ovl-fuse-listing-order-beside-held-dir');
  t.equal(accepted(held, order(held, 2), 'exec:/x/bin/ovl-fuse -o lowerdir={lowerdir},transport=fuse-native {merged}'), 'ovl-fuse-listing-order-beside-held-dir');
  t.equal(accepted(held, order(held, 2), 'exec:fuse-overlayfs {merged}'), 'fuse-overlayfs-listing-order', 'fuse-overlayfs has its own');
  t.equal(accepted(held, order(held, 2, 'names')), null, 'the names are compared');
  const rewind = [...seen, { op: 'relist', dir: 0 } as Op];
  t.equal(accepted(rewind, order(rewind, 2)), 'ovl-fuse-listing-order-beside-held-dir', 'the held handle rewound');
  const closed = [seen[0]!, seen[1]!, { op: 'closedir', dir: 0 } as Op, { op: 'readdir', path: '.' } as Op];
  t.equal(accepted(closed, order(closed, 3)), null, 'closed first: the kernel lists afresh, so compared');
  const nothingBetween = [seen[0]!, { op: 'readdir', path: '.' } as Op];
  t.equal(accepted(nothingBetween, order(nothingBetween, 1)), null, 'no op on an entry in between');
  const otherDir = [{ op: 'opendir', path: 'x', dir: 0 } as Op, { op: 'open', path: 'x/a', access: 'w', trunc: false, append: false, creat: false, excl: false } as Op, { op: 'readdir', path: 'x' } as Op];
  t.equal(accepted(otherDir, order(otherDir, 2)), null, 'a dir below the root: it may be one layer\'s, read with no cache');
  const deeper = [seen[0]!, { op: 'open', path: 'x/a', access: 'w', trunc: false, append: false, creat: false, excl: false } as Op, { op: 'readdir', path: '.' } as Op];
  t.equal(accepted(deeper, order(deeper, 2)), 'ovl-fuse-listing-order-beside-held-dir', 'an op below an entry copies that entry up too');
  for (const quiet of [{ op: 'stat', path: 'a' }, { op: 'readdir', path: 'x' }, { op: 'read', path: 'a' }, { op: 'open', path: 'a', access: 'r' }] as Op[]) {
    const ops = [seen[0]!, quiet, { op: 'readdir', path: '.' } as Op];
    t.equal(accepted(ops, order(ops, 2)), null, `nothing copied up by ${describeOp(quiet)}: compared`);
  }
  const again = [...seen, { op: 'opendir', path: '.', dir: 1 } as Op];
  t.equal(accepted(again, order(again, 2)), 'ovl-fuse-listing-order-beside-held-dir', 'a second opendir shares the held one\'s list');
  const sameNumber = [...seen, { op: 'opendir', path: '.', dir: 0 } as Op];
  t.equal(accepted(sameNumber, order(sameNumber, 2)), null, 'an opendir of the same number closes the held one first');
  const byUser = [...seen, { op: 'readdir', path: '.', as: 1000 } as Op];
  t.equal(accepted(byUser, order(byUser, 2)), 'ovl-fuse-listing-order-beside-held-dir', 'listed by another user');
  // A name added or removed in the dir through the mount moves the kernel's version: it lists afresh.
  for (const change of [
    { op: 'create', path: 'n', data: '', mode: 0o644 }, { op: 'unlink', path: 'a' }, { op: 'mkdir', path: 'n', mode: 0o755 },
    { op: 'rename', from: 'x/a', to: 'b' }, { op: 'link', from: 'x/a', to: 'n' }, { op: 'remount' }, { op: 'rotate' },
  ] as Op[]) {
    const ops = [...seen, change, { op: 'readdir', path: '.' } as Op];
    t.equal(accepted(ops, order(ops, 3)), null, `compared after ${describeOp(change)}`);
  }
  const belowChange = [...seen, { op: 'create', path: 'x/n', data: '', mode: 0o644 } as Op, { op: 'readdir', path: '.' } as Op];
  t.equal(accepted(belowChange, order(belowChange, 3)), 'ovl-fuse-listing-order-beside-held-dir', 'a name added below an entry leaves the dir\'s version');
});

t.test('an O_TRUNC open of a running lower program: accepted on fuse-native only while it runs', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const native = 'exec:OVL_FUSE_NODE=/usr/bin/node /x/bin/ovl-fuse -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir},transport=fuse-native{options} {merged}';
  // The corpus case exec-rdonly-trunc-lower, as the fuse-native hunt of seed 323 met it.
  const trunc: Op = { op: 'open', path: 'a', access: 'r', trunc: true };
  const running: Op[] = [{ op: 'spawn', path: 'a', proc: 0 }, trunc];
  const size: Difference = { where: 'merged', path: 'a', field: 'stat.size', reference: 0, target: 1982256 };
  const impure: Difference = { where: 'upper', path: '.', field: 'xattr:trusted.overlay.impure', reference: 'y', target: null };
  const got = (ops: Op[], target = native) => classify(shipped, target, [size, impure], ops).map((c) => c.accepted ?? null);
  t.same(got(running), ['ovl-fuse-native-exec-trunc-copy-up', 'ovl-fuse-native-exec-trunc-copy-up']);
  // The kernel answers that open ETXTBSY after its copy-up: refusedToo, where afterOp needs the op carried out.
  const refused = { referenceOk: (i: number) => i !== 1 };
  t.same(classify(shipped, native, [size, impure], running, new Set(), refused).map((c) => c.accepted ?? null),
    ['ovl-fuse-native-exec-trunc-copy-up', 'ovl-fuse-native-exec-trunc-copy-up'], 'the kernel refused the open (ETXTBSY) after its copy-up');
  t.same(got(running, 'fuse'), [null, null], 'the default transport copies up as the kernel does');
  t.same(got([{ op: 'spawn', path: 'a', proc: 0 }, { op: 'kill', proc: 0 }, trunc]), [null, null], 'the program had exited: compared');
  t.same(got([{ op: 'spawn', path: 'a', proc: 0 }, { op: 'remount' }, trunc]), [null, null], 'a remount ends it: compared');
  t.same(got([trunc]), [null, null], 'no program: compared');
  t.same(got([{ op: 'open', path: 'a', access: 'r', fd: 0 }, trunc]), [null, null], 'an fd held is no running program');
  const atime: Difference = { where: 'merged', path: 'a', field: 'stat.atime', reference: 1, target: 2 };
  t.same(classify(shipped, native, [atime], running).map((c) => c.accepted ?? null), [null], 'only size, content, the copy and overlay xattrs');
});

t.test('a rule with `whileHeld` and no `afterOp` is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'd.json');
  writeFileSync(f, JSON.stringify({ rules: [{ id: 'h', targets: ['*'], whileHeld: true, reason: 'r', spec: 'S1' }] }));
  t.throws(() => loadRules(f), { message: /rule h: `whileHeld` needs/ });
});

t.test('a list with an `after` rule or a `derives` without `op` is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'd.json');
  writeFileSync(f, JSON.stringify({ rules: [{ id: 'x', targets: ['*'], after: 'mutate(*)', reason: 'r', spec: 'S1' }] }));
  t.throws(() => loadRules(f), { message: /rule x: `after` is gone/ });
  writeFileSync(f, JSON.stringify({ rules: [{ id: 'y', targets: ['*'], derives: true, reason: 'r', spec: 'S1' }] }));
  t.throws(() => loadRules(f), { message: /rule y: `derives` needs/ });
});

t.test('a misspelled key in a rule, or at the top of the list, is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'd.json');
  // A read-only review: `feild` left the rule unnarrowed, so it accepted every difference.
  writeFileSync(f, JSON.stringify({ rules: [{ id: 'typo', targets: ['exec:*'], feild: 'stat.nlink', reason: 'r', spec: 'S1' }] }));
  const err = t.throws(() => loadRules(f), { message: new RegExp(`^${f}: rule typo: unknown key \`feild\` \\(known: id, targets, .*field, .*\\)$`) });
  t.ok(err instanceof UsageError);
  writeFileSync(f, JSON.stringify({ about: 'x', rule: [], rules: [] }));
  t.throws(() => loadRules(f), { name: 'UsageError', message: `${f}: unknown key \`rule\` (known: about, rules)` });
  for (const bad of ['null', '[]', '{"rules": [null]}', '{"rules": ["x"]}']) {
    writeFileSync(f, bad);
    t.throws(() => loadRules(f), { name: 'UsageError' }, bad);
  }
  // A value of the wrong kind (a later review: `"field": 5` was an internal error in the matcher).
  const rule = { id: 'kind', targets: ['exec:*'], reason: 'r', spec: 'S1' };
  for (const [key, value, words] of [
    ['field', 5, 'a string or an array of strings'], ['path', ['a', 1], 'a string or an array of strings'],
    ['derives', 'yes', 'true or false'], ['except', [2], 'an array of strings'],
  ] as const) {
    writeFileSync(f, JSON.stringify({ rules: [{ ...rule, op: 'x', [key]: value }] }));
    t.throws(() => loadRules(f), { name: 'UsageError', message: `${f}: rule kind: \`${key}\` must be ${words}, got ${JSON.stringify(value)}` }, key);
  }
  // Checked before what a flag needs: `"false"` as a string is a kind error, not a missing afterOp.
  writeFileSync(f, JSON.stringify({ rules: [{ ...rule, whileHeld: 'false' }] }));
  t.throws(() => loadRules(f), { message: /`whileHeld` must be true or false, got "false"/ });
  writeFileSync(f, JSON.stringify({ rules: [{ ...rule, field: ['a', 'b'], derives: false, op: 'x' }] }));
  t.equal(loadRules(f).length, 1, 'patterns as arrays and flags as false are fine');
});

t.test('`except` takes targets out of a rule', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const origin: Difference = { where: 'upper', path: 'd', field: 'xattr:trusted.overlay.origin', reference: '<file handle>', target: null };
  t.same(classify(shipped, 'exec:fuse-overlayfs {merged}', [origin]).map((c) => c.accepted ?? null), ['side-effect-origin']);
  t.same(classify(shipped, 'fuse', [origin]).map((c) => c.accepted ?? null), [null], 'ovl-fuse claims the kernel origin');
});

t.test('no shipped rule for ovl-fuse accepts every difference after an op', async (t) => {
  for (const r of loadRules(join(suitesDir, 'divergences.json'))) {
    t.notOk('after' in r, r.id);
    if (r.derives) t.ok(r.op && r.field && (r.value || r.reference), `${r.id}: a derives rule names the op, field and value (either side's) it starts from`);
  }
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
  // The reason holds for every FUSE filesystem (a review: fuse-overlayfs's was unexpected).
  t.same(classify(shipped, 'exec:fuse-overlayfs {merged}', [fsid]).map((c) => c.accepted ?? null), ['ovl-fuse-statfs-fsid']);
  t.same(classify(shipped, 'exec:mount -t overlay {merged}', [fsid]).map((c) => c.accepted ?? null), [null]);
});

t.test('a malformed list is a usage error naming the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-rules-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'd.json');
  writeFileSync(f, '{"rules": [{"id": "x"}]}');
  t.throws(() => loadRules(f), UsageError);
  t.throws(() => loadRules(join(dir, 'missing.json')), { message: /missing\.json: cannot read/ });
});

t.test('the shipped layer-change rule keeps the invariants for every target: no crash, no hang, no EIO', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const ops: Op[] = [{ op: 'mutate', layer: 0, action: 'delete', path: 'a' }, { op: 'read', path: 'a' }];
  const stale: Difference = { where: 'op', opIndex: 1, op: describeOp(ops[1]!), field: 'result', reference: 'ok', target: 'ENOENT' };
  const eio: Difference = { ...stale, target: 'EIO' };
  const walkEio: Difference = { where: 'merged', path: 'a', field: 'readErrno', reference: null, target: 'EIO' };
  const hang: Difference = { where: 'failure', field: 'failure', reference: null, target: { phase: 'op', opIndex: 1, reason: 'ETIMEDOUT: no answer within 10000 ms' } };
  const crash: Difference = { where: 'failure', field: 'failure', reference: null, target: { phase: 'final', reason: 'ENOTCONN: daemon died' } };
  for (const target of ['fuse', 'exec:fuse-overlayfs {merged}', 'exec:mount -t overlay overlay {merged}']) {
    t.same(classify(shipped, target, [stale, eio, walkEio, hang, crash], ops).map((c) => c.accepted ?? null), ['layers-changed-while-mounted', null, null, null, null], target);
  }
});

t.test('a `withAcls` rule only in scenarios with an ACL; `reference` matches the kernel side', async (t) => {
  const acl: AcceptRule[] = [
    { id: 'denied', targets: ['fuse'], withAcls: true, where: 'op', op: '[uid *] *', field: 'result', reference: '"EACCES"', derives: true, reason: 'r', spec: 'S19' },
  ];
  const ops: Op[] = [{ op: 'read', path: 'a', as: 1000 }, { op: 'read', path: 'a' }];
  const result: Difference = { where: 'op', opIndex: 0, op: describeOp(ops[0]!), field: 'result', reference: 'EACCES', target: 'ok' };
  const content: Difference = { where: 'op', opIndex: 0, op: describeOp(ops[0]!), field: 'content', reference: undefined, target: { size: 1 } };
  const asRoot: Difference = { ...result, opIndex: 1, op: describeOp(ops[1]!) };
  const onA = new Set(['a']);
  t.same(classify(acl, 'fuse', [result, content], ops, onA).map((c) => [c.accepted ?? null, c.derivedFrom ?? null]), [['denied', null], ['denied', 0]], "the op's other fields derive from it");
  t.same(classify(acl, 'fuse', [result], ops, new Set()).map((c) => c.accepted ?? null), [null], 'no ACL in the scenario: unexpected');
  t.same(classify(acl, 'fuse', [result], ops, new Set(['b'])).map((c) => c.accepted ?? null), [null], 'an ACL on another name: unexpected');
  t.same(classify(acl, 'fuse', [{ ...result, reference: 'ENOENT' }], ops, onA).map((c) => c.accepted ?? null), [null], 'another kernel answer');
  t.same(classify(acl, 'fuse', [asRoot], ops, onA).map((c) => c.accepted ?? null), [null], 'an op run as root');
  const deep: Op[] = [{ op: 'read', path: 'd/x/a', as: 1000 }];
  const deepResult: Difference = { ...result, op: describeOp(deep[0]!) };
  t.same(classify(acl, 'fuse', [deepResult], deep, new Set(['d'])).map((c) => c.accepted ?? null), ['denied'], 'under a dir with an ACL');
});

t.test('an op pattern matches the call whoever makes it; a pattern may name the user', async (t) => {
  const statx: AcceptRule[] = [{ id: 'statx', targets: ['fuse'], where: 'op', op: 'statx(*)', field: 'fields.mask', reason: 'r', spec: 'S36' }];
  const ops: Op[] = [{ op: 'statx', path: '.', as: 1000 }, { op: 'statx', path: '.' }];
  const d = (i: number): Difference => ({ where: 'op', opIndex: i, op: describeOp(ops[i]!), field: 'fields.mask', reference: 'a', target: 'b' });
  t.same(classify(statx, 'fuse', [d(0), d(1)], ops).map((c) => c.accepted ?? null), ['statx', 'statx']);
  const byUser: AcceptRule[] = [{ ...statx[0]!, op: '[uid *] statx(*)' }];
  t.same(classify(byUser, 'fuse', [d(0), d(1)], ops).map((c) => c.accepted ?? null), ['statx', null]);
});

t.test('a layer change excuses differences on the names it touched only (a review: any difference after any change was accepted)', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const ops: Op[] = [
    { op: 'mutate', layer: 0, action: 'write', path: 'unrelated', data: 'zz' },
    { op: 'create', path: 'newfile', data: 'hello', mode: 0o644 },
    { op: 'write', path: 'a', offset: 0, data: 'NEW' },
    { op: 'write', path: 'd/x', offset: 0, data: 'NEW' },
  ];
  const refused = (i: number): Difference => ({ where: 'op', opIndex: i, op: describeOp(ops[i]!), field: 'result', reference: 'ok', target: 'EROFS' });
  const lost: Difference = { where: 'upper', path: 'a', field: 'content', reference: 'NEW', target: null };
  const ids = (diffs: Difference[], o: Op[], facts = {}) => classify(shipped, 'fuse', diffs, o, new Set(), facts).map((c) => c.accepted ?? null);
  t.same(ids([refused(1), refused(2), lost], ops), [null, null, null], 'other names: unexpected, and the lost write with them');
  t.same(ids([refused(2)], ops, { lowerLinks: [['a', 'unrelated']] }), ['layers-changed-while-mounted'], 'a hard link of the changed file in the lowers');
  const inDir: Op[] = [{ op: 'mutate', layer: 0, action: 'delete', path: 'd' }, ops[3]!];
  const below: Difference = { where: 'op', opIndex: 1, op: describeOp(inDir[1]!), field: 'result', reference: 'ENOENT', target: 'ok' };
  t.same(ids([below], inDir), ['layers-changed-while-mounted'], 'a name below a changed dir');
  const root: Op[] = [{ op: 'mutate', layer: 0, action: 'chmod', path: '.', mode: 0o700 }, ops[2]!];
  t.same(ids([{ ...refused(1), opIndex: 1, op: describeOp(root[1]!) }], root), ['layers-changed-while-mounted'], "a change of the layer's root reaches every name");
});

t.test('an afterOp rule follows only an op the kernel carried out (a review: a refused chattr +i excused a sticky-dir EACCES)', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const ops: Op[] = [{ op: 'chattr', path: 't/f', flag: '+i', as: 1000 } as Op, { op: 'unlink', path: 't/f', as: 1000 } as Op];
  const d: Difference = { where: 'op', opIndex: 1, op: describeOp(ops[1]!), field: 'result', reference: 'EPERM', target: 'EACCES' };
  const ids = (ok: boolean) => classify(shipped, 'fuse', [d], ops, new Set(), { referenceOk: (i) => (i === 0 ? ok : true) }).map((c) => c.accepted ?? null);
  t.same(ids(true), ['ovl-fuse-vfs-checks-before-flags'], 'the flag was set');
  t.same(ids(false), [null], 'the chattr was refused: nothing to follow from');
});

t.test("fuse-overlayfs's lower atimes: only on names a lower held", async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const d: Difference = { where: 'merged', path: 'up', type: 'file', field: 'stat.atime', reference: 1000000000, target: 'now' };
  const ids = (lower: string[]) => classify(shipped, 'exec:fuse-overlayfs {merged}', [d], [], new Set(), { lowerPaths: new Set(lower) }).map((c) => c.accepted ?? null);
  t.same(ids(['up']), ['fuse-overlayfs-lower-atime']);
  t.same(ids([]), [null], 'a file only in the upper: compared');
  // The root is every lower's (the first version left it out: 59 of 134 scenarios unexpected).
  const facts = scenarioLowerFacts({ lowers: [{ entries: [{ path: 'd/f', kind: 'file', content: '', mode: 0o644 }] }], upper: { entries: [] }, ops: [] });
  t.same([...facts.lowerPaths].sort(), ['.', 'd', 'd/f'], 'the root and the dirs above an entry');
  const root: Difference = { ...d, path: '.', type: 'dir' };
  t.same(classify(shipped, 'exec:fuse-overlayfs {merged}', [root], [], new Set(), facts).map((c) => c.accepted ?? null), ['fuse-overlayfs-lower-atime'], 'the root');
  const rotated: Op[] = [{ op: 'rotate' } as Op];
  t.same(classify(shipped, 'exec:fuse-overlayfs {merged}', [d], rotated, new Set(), facts).map((c) => c.accepted ?? null), ['fuse-overlayfs-lower-atime'], 'after a rotate the upper is a lower');
});

t.test('ovl-fuse-refused-options: only the options its reason names (a review: any "unsupported mount option" was accepted)', async (t) => {
  const shipped = loadRules(join(suitesDir, 'divergences.json'));
  const refused = (opt: string): Difference => ({ where: 'failure', field: 'failure', reference: null, target: { phase: 'mount', reason: `ovl-fuse: unsupported mount option ${opt}: x` } });
  const ids = (opt: string) => classify(shipped, 'fuse', [refused(opt)]).map((c) => c.accepted ?? null);
  for (const opt of ['index=on', 'nfs_export=on', 'verity=require']) t.same(ids(opt), ['ovl-fuse-refused-options'], opt);
  t.same(ids('noatime'), [null], 'noatime: not what the rule is for');
});
