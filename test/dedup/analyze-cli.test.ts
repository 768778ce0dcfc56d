// ovl-dedup analyze as a user and a CI job run it: JSON on stdout, CI rules and exit codes
// (0 ok, 1 rule failed, 2 usage: a bad option, path or root, one holding no store), one-line errors, nothing written into the root.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { writeFakeRoot } from '../../src/dedup/fake-root.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-cli-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const root = join(work, 'docker');
writeFakeRoot(root, 'overlay', [{
  tags: ['waste:1'],
  layers: [
    { id: 'a'.repeat(64), build: (d) => writeFileSync(join(d, 'big'), Buffer.alloc(300_000, 1)) },
    { id: 'b'.repeat(64), build: (d) => rmSync(join(d, 'big')) },
  ],
}]);
const run = (...args: string[]) => execa(bin, ['analyze', ...args], { reject: false, env: { CI: '' } });

t.test('--json - prints only the JSON contract', async (t) => {
  const r = await run(root, '--json', '-');
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');
  const j = JSON.parse(r.stdout);
  t.equal(j.version, 1);
  t.same(j.images.map((i: { name: string }) => i.name), ['waste:1']);
  t.equal(j.waste.wastedBytes, 300_000);
  t.equal(j.imageLayers.entries, 1, 'the base root holds big; the top root is empty');
});

t.test('--ci turns thresholds into rules and exit codes', async (t) => {
  const fail = await run(root, '--ci', '--max-wasted-bytes', '100kB', '--min-efficiency', '0');
  t.equal(fail.exitCode, 1);
  t.match(fail.stdout, /^max-wasted-bytes\s+100\.0 kB\s+300\.0 kB\s+FAIL$/m);
  t.match(fail.stdout, /^min-efficiency\s+0\s+0\.0000\s+PASS$/m);
  const pass = await run(root, '--ci', '--max-wasted-bytes', '1MB', '--max-duplicate-bytes', '0');
  t.equal(pass.exitCode, 0, pass.stdout);
  const bad = await run(root, '--ci', '--min-efficiency', '2');
  t.equal(bad.exitCode, 2);
  t.equal(bad.stderr, "ovl-dedup: --min-efficiency: expected a ratio between 0 and 1, got '2'");
});

t.test('bad roots and outputs are one-line errors; nothing is written into the root', async (t) => {
  const inside = await run(root, '--json', join(root, 'report.json'));
  t.equal(inside.exitCode, 2);
  t.match(inside.stderr, /^ovl-dedup: --json .*report\.json: inside the data root .*; analyze never writes there$/);
  t.notOk(readdirSync(root).includes('report.json'));
  const missing = await run(join(work, 'nope'));
  t.same([missing.exitCode, missing.stderr], [2, `ovl-dedup: ${join(work, 'nope')}: no such directory`]);
  writeFileSync(join(work, 'file'), '');
  t.same((await run(join(work, 'file'))).exitCode, 2);
  mkdirSync(join(work, 'empty'));
  const empty = await run(join(work, 'empty'));
  t.same([empty.exitCode, empty.stderr], [2, `ovl-dedup: ${join(work, 'empty')}: no overlay, overlay2 or containers-storage store found (give the data root, the dir holding image/ and overlay2/)`]);
});

t.test('a review found: dangling links into the root, unreadable roots, names with newlines', async (t) => {
  // --json or --html as a dangling symlink into the root: a write would create its target there.
  for (const flag of ['--json', '--html']) {
    const link = join(work, `into-root${flag}`);
    symlinkSync(join(root, 'new-report'), link);
    const r = await run(root, flag, link);
    t.equal(r.exitCode, 2, `${flag}: ${r.stderr}`);
    t.match(r.stderr, new RegExp(`^ovl-dedup: ${flag} .*: inside the data root .*; analyze never writes there$`));
    t.notOk(readdirSync(root).includes('new-report'), `${flag}: nothing written into the root`);
  }
  // A root only its owner may read, analyzed by someone else: the reason, not "no store found".
  const locked = join(work, 'locked');
  writeFakeRoot(locked, 'overlay', [{ tags: ['x:1'], layers: [{ id: 'c'.repeat(64), build: (d) => writeFileSync(join(d, 'f'), 'f') }] }]);
  chmodSync(locked, 0o700);
  chmodSync(work, 0o755);
  // Without tap's environment (it adds its coverage hook to every child, even one given its own
  // env): nobody could not write the coverage file, and node would say so on stderr.
  const asNobody = (...args: string[]) => execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', '-i', `PATH=${process.env.PATH}`, bin, ...args], { reject: false });
  const nobody = await asNobody('analyze', locked);
  t.same([nobody.exitCode, nobody.stderr], [2, `ovl-dedup: ${locked}: cannot read (EACCES)`]);
  const below = await asNobody('analyze', join(locked, 'overlay'));
  t.same([below.exitCode, below.stderr], [2, `ovl-dedup: ${join(locked, 'overlay')}: cannot stat (EACCES)`]);
  // A path with a newline or other control character is still one line, the character escaped.
  const odd = await run(join(work, 'no\nsuch'));
  t.same([odd.exitCode, odd.stderr], [2, `ovl-dedup: ${join(work, 'no\\nsuch')}: no such directory`]);
});

t.test('a report file that cannot be written is a usage error before any work', async (t) => {
  const gone = join(work, 'no-such-dir', 'r.json');
  for (const [cmd, args] of [
    ['analyze', [root, '--json', gone]],
    ['analyze', [root, '--html', gone]],
    ['convert', [root, '--out', join(work, 'conv'), '--json', gone]],
    ['migrate', [root, '--out', join(work, 'migrated'), '--json', gone]],
  ] as Array<[string, string[]]>) {
    const r = await execa(bin, [cmd, ...args], { reject: false, env: { CI: '' } });
    const flag = args[args.length - 2];
    t.same([r.exitCode, r.stderr], [2, `ovl-dedup: ${flag} ${gone}: no such directory ${join(work, 'no-such-dir')}`], `${cmd} ${flag}`);
    t.equal(r.stdout, '', `${cmd}: no report printed`);
  }
  // A dangling symlink into a dir that does not exist: its target's dir must exist, checked up
  // front too (a review found analyze failing after its scan, and migrate after its commit).
  const link = join(work, 'to-nowhere.json');
  symlinkSync(join(work, 'no-such-dir', 'r.json'), link);
  for (const [cmd, args] of [
    ['analyze', [root, '--json', link]],
    ['analyze', [root, '--html', link]],
    ['migrate', [root, '--out', join(work, 'migrated'), '--json', link]],
  ] as Array<[string, string[]]>) {
    const r = await execa(bin, [cmd, ...args], { reject: false, env: { CI: '' } });
    t.same([r.exitCode, r.stderr], [2, `ovl-dedup: ${args[args.length - 2]} ${link}: no such directory ${join(work, 'no-such-dir')}`], `${cmd} through a dangling link`);
  }
  t.notOk(readdirSync(work).includes('conv'), 'convert wrote nothing');
  t.notOk(readdirSync(work).includes('migrated'), 'migrate wrote nothing');
  const asDir = await run(root, '--json', work);
  t.same([asDir.exitCode, asDir.stderr], [2, `ovl-dedup: --json ${work}: is a directory`]);
});

t.test("convert and migrate take --json - as analyze does: the JSON alone on stdout", async (t) => {
  // A review found both writing a file named '-' in the working dir.
  const cwd = mkdtempSync(join(tmpdir(), 'ovl-dedup-cwd-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const conv = await execa(bin, ['convert', root, '--out', join(work, 'conv-stdout'), '--json', '-'], { reject: false, cwd, env: { CI: '' } });
  t.equal(conv.exitCode, 0, conv.stderr);
  t.ok(Array.isArray(JSON.parse(conv.stdout).result.images), 'convert: the outcome as JSON');
  const mig = await execa(bin, ['migrate', root, '--out', join(work, 'mig-stdout'), '--dry-run', '--json', '-'], { reject: false, cwd, env: { CI: '' } });
  t.equal(mig.exitCode, 0, mig.stderr);
  t.ok(JSON.parse(mig.stdout).plan, 'migrate: the plan as JSON');
  t.same(readdirSync(cwd), [], "no file named '-'");
  const inside = await execa(bin, ['migrate', root, '--out', join(work, 'mig2'), '--json', join(root, 'r.json')], { reject: false, env: { CI: '' } });
  t.same([inside.exitCode, inside.stderr], [2, `ovl-dedup: --json ${join(root, 'r.json')}: inside the data root ${root}; write it elsewhere`]);
});

t.test('convert refuses a root with no legacy store and an --out that is a file: exit 2, one line', async (t) => {
  const ov2 = join(work, 'ov2');
  writeFakeRoot(ov2, 'overlay2', [{ tags: ['x:1'], layers: [{ id: 'e'.repeat(64), build: (d) => writeFileSync(join(d, 'f'), 'x') }] }]);
  const notLegacy = await execa(bin, ['convert', ov2, '--out', join(work, 'conv-ov2')], { reject: false });
  t.same([notLegacy.exitCode, notLegacy.stderr], [2, `ovl-dedup: ${ov2}: no legacy overlay store to convert`]);
  const file = join(work, 'a-file');
  writeFileSync(file, '');
  const onFile = await execa(bin, ['convert', root, '--out', file], { reject: false });
  t.same([onFile.exitCode, onFile.stderr], [2, `ovl-dedup: --out ${file}: not a directory`]);
  const below = await execa(bin, ['convert', root, '--out', join(file, 'sub')], { reject: false });
  t.same([below.exitCode, below.stderr], [2, `ovl-dedup: --out ${join(file, 'sub')}: ${file} is not a directory`]);
});

// src/dedup/v8-flags.ts: analyze sets its V8 flags in its own process. Seen through V8's inlining
// trace of two probes compiled after the command ran (a hook at exit), against --version, which
// sets none: a function of 53 bytes of bytecode is inlined with V8's defaults and not after
// analyze; one of a few bytes is inlined after both.
t.test('analyze compiles with TurboFan inlining only small functions; other commands keep V8 defaults', async (t) => {
  const hook = join(work, 'inline-probe.mjs');
  writeFileSync(hook, `process.on('exit', () => {
  new Function(\`
    function probeLarge(x) { let s = 0; for (let i = 0; i < x; i++) s += (i * x) % 7; return s + x * 3 - (x >> 1); }
    function probeSmall(x) { return x + 1; }
    function probeOuter(x) { return probeLarge(x) * probeSmall(x); }
    %PrepareFunctionForOptimization(probeLarge);
    %PrepareFunctionForOptimization(probeSmall);
    %PrepareFunctionForOptimization(probeOuter);
    probeOuter(1); probeOuter(2);
    %OptimizeFunctionOnNextCall(probeOuter);
    probeOuter(3);\`)();
});
`);
  const traced = (...args: string[]) =>
    execa(process.execPath, ['--allow-natives-syntax', '--trace-turbo-inlining', '--import', hook, bin, ...args], { reject: false, env: { CI: '' } });
  const large = /Inlining .*probeLarge.* into .*probeOuter/;
  const small = /Inlining .*probeSmall.* into .*probeOuter/;
  const version = await traced('--version');
  t.equal(version.exitCode, 0, version.stderr);
  t.match(version.stdout, large, 'the large probe is inlined with V8 defaults');
  t.match(version.stdout, small);
  const analyze = await traced('analyze', root, '--json', '-');
  t.equal(analyze.exitCode, 0, analyze.stderr);
  t.notMatch(analyze.stdout, large, 'not after analyze');
  t.match(analyze.stdout, small, 'the small one still is');
});
