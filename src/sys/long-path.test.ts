import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { holdDirs } from './hold-dir.js';
import { longPath, shortPath } from './long-path.js';
import { cloneMount } from './mount-clone.js';

/** `n` nested dirs of 200-byte names under `root`: a real path of about n × 201 bytes. */
function deep(root: string, n: number): string {
  let p = root;
  for (let i = 0; i < n; i++) {
    p = join(p, String(i).padStart(3, '0') + 'd'.repeat(197));
    mkdirSync(shortPath(p));
  }
  return p;
}

t.test('short paths pass through untouched', async (t) => {
  t.equal(shortPath('/tmp/x'), '/tmp/x');
  t.equal(longPath('/tmp/x'), '/tmp/x');
  t.equal(shortPath('/' + 'é'.repeat(1000)), '/' + 'é'.repeat(1000), '2001 bytes of UTF-8');
});

t.test('paths past PATH_MAX work through an ancestor fd, and map back', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-longpath-'));
  // rm(1) removes trees of any depth (*at calls); rmSync stops at PATH_MAX.
  t.teardown(() => void execFileSync('rm', ['-rf', root]));
  const dir = deep(root, 45);
  t.ok(Buffer.byteLength(dir) > 9000, 'over twice PATH_MAX');
  const file = join(dir, 'f');
  writeFileSync(shortPath(file), 'deep');
  t.equal(readFileSync(shortPath(file), 'utf8'), 'deep');
  const short = shortPath(file);
  t.ok(Buffer.byteLength(short) < 4096 && short.startsWith('/proc/self/fd/'), short.slice(0, 40));
  t.equal(longPath(short), file);
  t.equal(shortPath(short), short, 'shortening is idempotent');
  t.throws(() => statSync(file), { code: 'ENAMETOOLONG' }, 'the real path itself is too long');
});

t.test('an ancestor renamed away is not followed: its old path is reopened', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-longpath-'));
  // rm(1) removes trees of any depth (*at calls); rmSync stops at PATH_MAX.
  t.teardown(() => void execFileSync('rm', ['-rf', root]));
  const dir = deep(root, 20);
  writeFileSync(shortPath(join(dir, 'f')), 'old');
  const top = join(root, '000' + 'd'.repeat(197));
  renameSync(top, top + '.moved');
  t.throws(() => readFileSync(shortPath(join(dir, 'f'))), { code: 'ENOENT' });
  deep(root, 20);
  writeFileSync(shortPath(join(dir, 'f')), 'new');
  t.equal(readFileSync(shortPath(join(dir, 'f')), 'utf8'), 'new');
  t.equal(readFileSync(shortPath(join(top + '.moved', dir.slice(top.length + 1), 'f')), 'utf8'), 'old');
});

t.test('long paths through a held dir fd or a mount clone keep their ancestor fd', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-longpath-'));
  t.teardown(() => void execFileSync('rm', ['-rf', root]));
  const held = holdDirs([root])[root]!;
  const clone = cloneMount(root);
  t.teardown(() => {
    closeSync(held);
    closeSync(clone);
  });
  for (const base of [`/proc/self/fd/${held}/.`, `/proc/self/fd/${clone}`]) {
    const dir = deep(base, 20);
    const a = shortPath(join(dir, 'a'));
    writeFileSync(a, 'a');
    const b = shortPath(join(dir, 'b'));
    writeFileSync(b, 'b');
    t.equal(readFileSync(a, 'utf8'), 'a', `${base}: the first short path still works after the second`);
    t.equal(a.slice(0, a.indexOf('/', 14)), b.slice(0, b.indexOf('/', 14)), 'one ancestor fd for both');
    execFileSync('rm', ['-rf', join(root, '000' + 'd'.repeat(197))]);
  }
});
