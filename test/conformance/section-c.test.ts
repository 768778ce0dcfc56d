// The section C corpus run on the kernel target reproduces what the spec observed on this kernel,
// so the scenarios really express those cases (and a kernel change would show up here).
import t from 'tap';
import { installSignalCleanup } from '../../src/conformance/cleanup.js';
import { attachToString } from '../../src/conformance/arbitraries.js';
import { ScenarioRunner } from '../../src/conformance/runner.js';
import { type CorpusCase, loadCorpus, loadSuite } from '../../src/conformance/suite.js';
import { kernelTarget } from '../../src/conformance/targets.js';
import type { ObsResult, Trace } from '../../src/conformance/trace.js';


// If tap kills this file on its timeout, the mounts it made still go.
installSignalCleanup('section-c.test');
const cases = loadCorpus(loadSuite('edge-cases'));
const runner = new ScenarioRunner();
t.teardown(() => runner.close());

const byId = (id: string): CorpusCase => cases.find((c) => c.id === id)!;
async function run(id: string): Promise<Trace> {
  return runner.run(kernelTarget, attachToString(structuredClone(byId(id).scenario)));
}
/** The result of the first op whose description starts with `prefix`, after skipping `skip` matches. */
function result(tr: Trace, prefix: string, skip = 0): ObsResult {
  const ops = tr.ops.filter((o) => o.op.startsWith(prefix));
  const o = ops[skip];
  if (!o) throw new Error(`no op ${prefix} #${skip} in ${tr.ops.map((x) => x.op).join('; ')}`);
  return o.result;
}
const names = (r: ObsResult) => (r.ok && r.value && 'names' in r.value ? r.value.names : null);
const stat = (r: ObsResult) => (r.ok && r.value && 'stat' in r.value ? r.value.stat : null);
const errno = (r: ObsResult) => (r.ok ? 'ok' : r.errno);

t.test('the corpus has all 29 cases of section C', async (t) => {
  t.equal(cases.length, 29);
  t.same(new Set(cases.map((c) => c.id)).size, 29);
});

t.test('04: lower and merged dirs cannot be renamed without redirect_dir; pure upper ones can', async (t) => {
  const tr = await run('04');
  t.same([0, 1, 2, 3].map((i) => errno(tr.ops[i]!.result)), ['EXDEV', 'EXDEV', 'EXDEV', 'ok']);
  t.equal(tr.upper!.find((e) => e.path === 'ud2')?.xattrs?.['trusted.overlay.opaque'], 'y', 'the renamed upper dir becomes opaque (S22)');
});

t.test('05: NOREPLACE onto a whiteout works, onto a name EEXIST', async (t) => {
  const tr = await run('05');
  t.equal(errno(result(tr, 'rename("c2" -> "c", noreplace)')), 'ok');
  t.equal(errno(result(tr, 'rename("a" -> "y", noreplace)')), 'EEXIST');
});

t.test('06: index=off copy-up breaks the lower hard link (S58)', async (t) => {
  const tr = await run('06');
  t.equal(stat(result(tr, 'stat("f")', 0))?.nlink, 2);
  t.equal(stat(result(tr, 'stat("f")', 1))?.nlink, 1, 'the copied alias has nlink 1');
  t.equal(stat(result(tr, 'stat("g")', 1))?.nlink, 2, 'the other alias keeps the lower nlink');
});

t.test('12: mknod of a 0/0 device through the overlay is EPERM (S56)', async (t) => {
  t.equal(errno(result(await run('12'), 'mknod("w0"')), 'EPERM');
});

t.test('14b: a listing shows a new lower name that a cached negative lookup still refuses', async (t) => {
  const tr = await run('14b');
  t.same(names(result(tr, 'readdir("ld")', 1)), ['neg', 'new']);
  t.equal(errno(result(tr, 'stat("ld/neg")', 1)), 'ENOENT');
  t.equal(errno(result(tr, 'stat("ld/neg")', 2)), 'ok', 'after drop_caches');
});

t.test('14c: a cached, deleted lower file still stats with nlink 0 until drop_caches', async (t) => {
  const tr = await run('14c');
  t.equal(stat(result(tr, 'stat("a")', 0))?.nlink, 0);
  t.equal(errno(result(tr, 'stat("b")')), 'ENOENT');
  t.equal(errno(result(tr, 'stat("a")', 1)), 'ENOENT');
  t.equal(stat(result(tr, 'stat("c")'))?.nlink, 0, 'c stays pinned by the open fd');
});

t.test('17: the merged readdir cache hides a lower change while an fd holds it (S39)', async (t) => {
  const tr = await run('17');
  t.same(names(result(tr, 'readdir("md")', 2)), ['a', 'b', 'lower1']);
  t.same(names(result(tr, 'rewind+readdir(dir0)')), ['a', 'b', 'lower1', 'lower2', 'viaovl']);
});

t.test('14g: a whiteout made directly in the upper hides a cached name from listing only', async (t) => {
  const tr = await run('14g');
  t.equal(errno(result(tr, 'stat("a")', 0)), 'ok');
  t.notOk(names(result(tr, 'readdir(".")'))?.includes('a'));
  t.equal(errno(result(tr, 'stat("a")', 1)), 'ENOENT', 'after drop_caches');
});
