// Report paths are refused up front with the reason a user can act on, before any scan.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { checkOutputPath } from './output-path.js';

const root = mkdtempSync(join(tmpdir(), 'ovlkit-output-path-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const refusal = (path: string) => {
  try {
    checkOutputPath('--json', path);
    return null;
  } catch (err) {
    return [(err as Error).message, (err as { code?: string }).code];
  }
};

t.test('a writable file path passes; a dir, a missing dir and a file as dir are refused by name', async (t) => {
  writeFileSync(join(root, 'file'), '');
  t.equal(refusal(join(root, 'report.json')), null);
  t.same(refusal(root), [`--json ${root}: is a directory`, 'EISDIR']);
  t.same(refusal(join(root, 'no', 'r.json')), [`--json ${join(root, 'no', 'r.json')}: no such directory ${join(root, 'no')}`, 'ENOENT']);
  t.same(refusal(join(root, 'file', 'r.json')), [`--json ${join(root, 'file', 'r.json')}: ${join(root, 'file')} is not a directory`, 'ENOTDIR']);
});

t.test('a path behind a dir the user cannot search says so, not "no such directory"', async (t) => {
  // Root searches every dir: the check runs as nobody in a child process (the built module: npm test builds first).
  const locked = join(root, 'locked');
  mkdirSync(join(locked, 'd'), { recursive: true });
  chmodSync(root, 0o755);
  chmodSync(locked, 0o700);
  const script = `import(${JSON.stringify(new URL('../../dist/dedup/output-path.js', import.meta.url).href)}).then((m) => {
    try { m.checkOutputPath('--json', process.argv[1]); console.log('passed'); }
    catch (e) { console.log(e.code + ' ' + e.message); } })`;
  const r = await execa(process.execPath, ['-e', script, join(locked, 'd', 'r.json')], { uid: 65534, gid: 65534, reject: false });
  t.equal(r.stdout, `EACCES --json ${join(locked, 'd', 'r.json')}: cannot reach ${join(locked, 'd', 'r.json')} (EACCES)`, r.stderr);
});
