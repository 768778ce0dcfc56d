// The observing ops (mmap, O_DIRECT, statx, ctime, d_ino, execve, ETXTBSY) on real mounts: the
// kernel trace shows what the kernel does, the kernel's own mount command agrees exactly, and a
// target with a planted difference (a layer changed before mounting, a bind mount over a name, a
// file attribute only statx reports) is caught at the op that observes it. Against ovl-fuse (when built), the differences that
// remain are exactly the ones its rules name.
import { existsSync } from 'node:fs';
import t, { type Test } from 'tap';
import { diffTraces, type Difference } from '../../src/conformance/diff.js';
import { classify, loadRules } from '../../src/conformance/divergences.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import type { Scenario } from '../../src/conformance/scenario.js';
import { suitesDir } from '../../src/conformance/suite.js';
import { execTarget, fuseTarget, kernelTarget, packageRoot, type Target } from '../../src/conformance/targets.js';
import { join } from 'node:path';
import { KERNEL_EXEC } from './helpers.js';

const MOUNT = 'mount -t overlay overlay -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir}{options} {merged}';
// Generous: the worker's first start under tap's TypeScript loader takes seconds on a loaded machine.
const runner = new ScenarioRunner({ timeoutMs: 60_000 });
t.teardown(() => runner.close());

const scenario: Scenario = {
  lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'hello', mode: 0o644 }, { path: 'bin', kind: 'exe' }, { path: 'd', kind: 'dir', mode: 0o755 }] }],
  upper: { entries: [{ path: 'u', kind: 'file', content: 'upper', mode: 0o644 }] },
  ops: [
    { op: 'mmap', path: 'a', offset: 0, data: 'J' },
    { op: 'read', path: 'a' },
    { op: 'direct', path: 'u' },
    { op: 'statx', path: 'a' },
    { op: 'ctime', path: 'u', via: 'chown' },
    { op: 'ctime', path: 'u', via: 'read' },
    { op: 'dirents', path: '.' },
    { op: 'exec', path: 'bin' },
    { op: 'spawn', path: 'bin', proc: 0 },
    { op: 'open', path: 'bin', access: 'w' },
    { op: 'kill', proc: 0 },
    { op: 'open', path: 'bin', access: 'w' },
  ],
};

const result = (tr: Awaited<ReturnType<ScenarioRunner['run']>>, i: number) => tr.ops[i]!.result;
const unexpected = (target: string, diffs: Difference[]) =>
  classify(loadRules(join(suitesDir, 'divergences.json')), target, diffs, scenario.ops)
    .filter((c) => !c.accepted)
    .map((c) => `${c.difference.where}${c.difference.opIndex ?? ''}:${c.difference.field}`);

const kernel = await runner.run(kernelTarget, scenario);

t.test('the kernel: mmap stores land, O_DIRECT reads, ctime moves on chown -1 -1, ETXTBSY while running', async (t) => {
  t.notOk(kernel.failure, JSON.stringify(kernel.failure));
  t.match(result(kernel, 0), { ok: true, value: { content: { text: 'hello' } } });
  t.match(result(kernel, 1), { ok: true, value: { content: { text: 'Jello' } } }, 'msync wrote through the mapping');
  t.match(result(kernel, 2), { ok: true, value: { content: { text: 'upper' } } });
  t.match(result(kernel, 3), { ok: true, value: { fields: { mask: /btime/ } } });
  t.same(result(kernel, 4), { ok: true, value: { fields: { ctime: 'later', mtime: 'same' } } });
  t.same(result(kernel, 5), { ok: true, value: { fields: { ctime: 'same', mtime: 'same' } } });
  t.same(result(kernel, 6), { ok: true, value: { fields: { u: 'file', d: 'dir', bin: 'file', a: 'file' } } });
  t.same(result(kernel, 7), { ok: true, value: { text: 'status 0: ok\n' } });
  t.same(result(kernel, 8), { ok: true });
  t.same(result(kernel, 9), { ok: false, errno: 'ETXTBSY' }, 'writing a running binary');
  t.same(result(kernel, 11), { ok: true }, 'and not once it has stopped');
});

t.test("the kernel's own mount command agrees exactly", async (t) => {
  t.same(diffTraces(kernel, await runner.run(execTarget(MOUNT), scenario)), []);
  t.ok(KERNEL_EXEC.endsWith(MOUNT));
});

const planted = async (t: Test, name: string, target: Target, want: string[]) => {
  const diffs = diffTraces(kernel, await runner.run(target, scenario)).filter((d) => d.where === 'op');
  t.same([...new Set(diffs.map((d) => `op${d.opIndex}:${d.field}`))], want, name);
};

t.test('planted differences are caught at the op that observes them', async (t) => {
  await planted(t, 'another lower content: mmap sees it first', execTarget(`printf HELLO > {lowerdir}/a; ${MOUNT}`), ['op0:content', 'op1:content']);
  await planted(t, 'the binary not executable', execTarget(`chmod 644 {lowerdir}/bin; ${MOUNT}`), ['op7:result', 'op7:text', 'op8:result', 'op9:result', 'op10:result']);
  // Mounted beside, bound over d, then moved into place: the runner starts once {merged} is a mount
  // point, so the bind must already be there.
  const beside = MOUNT.replace('{options} {merged}', '{options} {merged}.t');
  const bound = `mkdir {merged}.t && ${beside} && mount --bind {upperdir}/../work {merged}.t/d && mount --rbind {merged}.t {merged} && umount -l {merged}.t`;
  await planted(t, 'a bind mount over a name: its d_ino is not its st_ino', execTarget(bound), ['op6:fields.d']);
  await planted(t, 'another upper content: the O_DIRECT read sees it', execTarget(`printf UPPER > {upperdir}/u; ${MOUNT}`), ['op2:content']);
});

t.test('a planted file attribute is caught by statx alone', async (t) => {
  // Its own scenario: in the one above, `a` is copied up (mmap opens it O_RDWR) before statx looks.
  const one: Scenario = { lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'x', mode: 0o644 }] }], upper: { entries: [] }, ops: [{ op: 'stat', path: 'a' }, { op: 'statx', path: 'a' }] };
  const nodump = await runner.run(execTarget(`chattr +d {lowerdir}/a && ${MOUNT}`), one);
  const diffs = diffTraces(await runner.run(kernelTarget, one), nodump).filter((d) => d.where === 'op');
  t.same(diffs.map((d) => `op${d.opIndex}:${d.field}`), ['op1:fields.attributes'], 'stat(2) cannot see it');
  t.match(nodump.ops[1]!.result, { ok: true, value: { fields: { attributes: 'nodump' } } });
});

t.test('ovl-fuse: only differences its rules name', { skip: !existsSync(join(packageRoot, 'dist/fuse')) && 'ovl-fuse not built' }, async (t) => {
  const diffs = diffTraces(kernel, await runner.run(fuseTarget(), scenario));
  t.same(unexpected('fuse', diffs), []);
  // The default transport answers FUSE_STATX (btime compared), so only the kernel FUSE client's own
  // limit on statx extras applies, not the no-statx rule of fuse-native and fuse-overlayfs. The
  // chown-ctime rule is the previous transport's alone: the default one stamps ctime as the kernel.
  const rules = classify(loadRules(join(suitesDir, 'divergences.json')), 'fuse', diffs, scenario.ops).map((c) => c.accepted);
  t.ok(rules.includes('fuse-client-drops-statx-extras'), rules.join());
  t.notOk(rules.includes('ovl-fuse-no-fuse-statx'), rules.join());
  t.notOk(rules.includes('ovl-fuse-chown-noop-ctime'), rules.join());
});
