// ovl-check's command line: usage errors exit 2 with one line, and --target fuse is honest about
// a missing build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { execa } from 'execa';
import { bin, sandbox } from './helpers.js';

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
    [['--target', 'exec:mount'], /needs \{lowerdir\} and \{merged\}/],
    [['--runs', '0'], /--runs must be an integer >= 1/],
    [['--replay', '/nonexistent.json'], /nonexistent\.json: cannot read the divergence to replay/],
  ] as const) {
    const r = await s.run(['run', ...args]);
    t.equal(r.exitCode, 2, args.join(' '));
    t.equal(String(r.stderr).trim().split('\n').length, 1, String(r.stderr));
    t.match(String(r.stderr), msg);
  }
});

t.test('list names every suite with its description', async (t) => {
  const r = await execa(bin, ['list'], { reject: false });
  t.equal(r.exitCode, 0);
  for (const n of ['basic', 'copy-up', 'whiteouts', 'rename', 'hardlinks', 'xattrs', 'special', 'permissions', 'many-layers', 'lower-mutation', 'fd-across-copy-up', 'remount']) {
    t.match(String(r.stdout), new RegExp(`^${n} +\\S`, 'm'));
  }
});
