// ovl-check's command line: usage errors exit 2 with one line, and --target fuse is honest about
// a missing build.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { execa } from 'execa';
import { bin, KERNEL_EXEC, sandbox, SWAPPED_LOWERS } from './helpers.js';

const fuseBuilt = existsSync(fileURLToPath(new URL('../../dist/fuse', import.meta.url)));

t.test('--target fuse without a built ovl-fuse is a usage error', { skip: fuseBuilt && 'dist/fuse exists' }, async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', 'fuse', '--suite', 'basic']);
  t.equal(r.exitCode, 2);
  t.equal(String(r.stderr).trim().split('\n').length, 1);
  t.match(String(r.stderr), /^ovl-check: --target fuse: ovl-fuse is not built/);
});

t.test('bad values exit 2 with one line naming them', async (t) => {
  const s = sandbox(t);
  for (const [args, msg] of [
    [['--suite', 'nope'], /--suite nope: no such suite/],
    [['--target', 'frob'], /--target frob: expected kernel, fuse or exec/],
    [['--target', 'exec:mount'], /needs \{lowerdir\} \{upperdir\} \{workdir\} and \{merged\}/],
    [['--target', 'exec:mount -o lowerdir={lowerdir} {merged}', '--suite', 'basic', '--runs', '1'], /missing \{upperdir\} \{workdir\}/],
    [['--target', 'exec:mount -o lowerdir={lowerdir},upperdir={upperdir},workdir={workdir} {upper} {merged}', '--suite', 'basic', '--runs', '1'], /unknown placeholder \{upper\}/],
    [['--runs', '0'], /--runs must be an integer >= 1/],
    [['--replay', '/nonexistent.json'], /nonexistent\.json: cannot read the divergence to replay/],
    // A replay runs the file's own scenario: these were silently ignored (a review).
    [['--replay', '/nonexistent.json', '--suite', 'rename'], /^ovl-check: --replay runs the one scenario the divergence file holds: --suite cannot be combined with it$/],
    [['--replay', '/nonexistent.json', '--runs', '5', '--seed', '3'], /: --seed, --runs cannot be combined with it$/],
    [['--replay', '/nonexistent.json', '--test-budget', '--max-divergences', '2'], /: --test-budget, --max-divergences cannot be combined with it$/],
    // An empty list ran nothing and exited 0 with an empty report (a read-only review).
    [['--suite', ''], /--suite '': names no suite/],
    [['--suite', ','], /--suite ',': names no suite/],
    // fast-check keeps a seed's low 32 bits: 2147483648 ran seed -2147483648's scenarios.
    [['--seed', '2147483648', '--suite', 'basic', '--runs', '1'], /--seed must be an integer from -2147483648 to 2147483647/],
    [['--seed', '99999999999', '--suite', 'basic', '--runs', '1'], /--seed must be an integer from -2147483648 to 2147483647/],
    [['--seed', '-2147483649', '--suite', 'basic', '--runs', '1'], /--seed must be an integer from -2147483648 to 2147483647/],
    // Node's timers hold 2^31 - 1 ms; a longer --timeout fired after 1 ms (a review: every op ETIMEDOUT).
    [['--timeout', '2147483648', '--suite', 'basic', '--runs', '1'], /--timeout must be an integer from 100 to 2147483647/],
  ] as const) {
    const r = await s.run(['run', ...args]);
    t.equal(r.exitCode, 2, args.join(' '));
    t.equal(String(r.stderr).trim().split('\n').length, 1, String(r.stderr));
    t.match(String(r.stderr), msg);
  }
});

t.test('a bad --out is a usage error before anything runs, and the file stays', async (t) => {
  const s = sandbox(t);
  const file = join(s.tmp, 'afile');
  writeFileSync(file, 'keep');
  // A read-only review: a file ran every suite, then failed on mkdir; /proc/x hung at full CPU.
  for (const [out, msg] of [[file, /^ovl-check: --out \S+afile: \S+afile is not a directory$/], ['/proc/x', /^ovl-check: --out \/proc\/x: cannot write reports there: ENOENT/]] as const) {
    const r = await execa(bin, ['run', '--target', 'kernel', '--suite', 'basic', '--runs', '1', '--out', out], { reject: false, timeout: 30_000, env: { TMPDIR: s.tmp, CI: '' } });
    t.equal(r.exitCode, 2, out);
    t.equal(String(r.stderr).trim().split('\n').length, 1, `one line, nothing ran: ${String(r.stderr)}`);
    t.match(String(r.stderr), msg);
  }
  t.equal(readFileSync(file, 'utf8'), 'keep');
});

t.test('list names every suite with its description', async (t) => {
  const r = await execa(bin, ['list'], { reject: false });
  t.equal(r.exitCode, 0);
  for (const n of ['basic', 'copy-up', 'whiteouts', 'rename', 'hardlinks', 'xattrs', 'special', 'permissions', 'many-layers', 'lower-mutation', 'fd-across-copy-up', 'remount']) {
    t.match(String(r.stdout), new RegExp(`^${n} +\\S`, 'm'));
  }
});

t.test('keep adds a divergence to a regression corpus, once', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', SWAPPED_LOWERS, '--suite', 'basic', '--seed', '3', '--runs', '40']);
  t.equal(r.exitCode, 1);
  const div = join(s.reportDir(), s.summary().unexpected[0]!.json);
  const corpus = join(s.tmp, 'corpus.json');
  writeFileSync(corpus, '{"cases": []}\n');
  const kept = await execa(bin, ['keep', div, '--corpus', corpus], { reject: false });
  t.equal(kept.exitCode, 0, kept.stderr);
  t.match(kept.stdout, /^kept basic-3-run\d+: exec: (merged|op) \S+/, 'the title names the first difference');
  const cases = (JSON.parse(readFileSync(corpus, 'utf8')) as { cases: Array<{ id: string; scenario: { lowers: unknown[] } }> }).cases;
  t.equal(cases.length, 1);
  t.equal(cases[0]!.scenario.lowers.length, 2);
  const again = await execa(bin, ['keep', div, '--corpus', corpus], { reject: false });
  t.equal(again.exitCode, 2);
  t.match(again.stderr, /already has a case basic-3-run\d+; pass --id/);
});

t.test('the kept regressions hold on the kernel', async (t) => {
  const s = sandbox(t);
  const r = await s.run(['run', '--target', KERNEL_EXEC, '--suite', 'regressions']);
  t.equal(r.exitCode, 0, String(r.stderr));
  t.ok(s.summary().totals.pass >= 1);
});

t.test('a --replay file with an op ovl-check does not know is refused, not skipped (a review saw it pass)', async (t) => {
  const s = sandbox(t);
  const file = join(s.tmp, 'hand.json');
  const scenario = { lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'x', mode: 0o644 }] }], upper: { entries: [] }, ops: [{ op: 'frobnicate' }] };
  writeFileSync(file, JSON.stringify({ suite: 'basic', seed: 1, run: 1, scenario }));
  const r = await s.run(['run', '--target', 'fuse', '--replay', file]);
  t.equal(r.exitCode, 2);
  t.equal(String(r.stderr).trim(), `ovl-check: ${file}: scenario.ops[0]: unknown op "frobnicate"`);
});

t.test('a --replay file that names no target needs --target: the kernel against itself passed everything (a review)', async (t) => {
  const s = sandbox(t);
  const file = join(s.tmp, 'hand.json');
  const scenario = { lowers: [{ entries: [{ path: 'a', kind: 'file', content: 'x', mode: 0o644 }] }], upper: { entries: [] }, ops: [] };
  for (const target of [undefined, 'kernel']) {
    writeFileSync(file, JSON.stringify({ suite: 'basic', seed: 1, run: 1, scenario, ...(target ? { target } : {}) }));
    const r = await s.run(['run', '--replay', file]);
    t.equal(r.exitCode, 2, String(target));
    t.equal(String(r.stderr).trim(), `ovl-check: ${file}: the divergence names no target to replay it on; give --target`);
  }
});
