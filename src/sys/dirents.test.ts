import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { copyFileNoatime, readdirNoatime } from './dirents.js';

t.test('listing and copying leave atimes alone', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-dirents-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'd');
  mkdirSync(dir);
  const names = Array.from({ length: 3000 }, (_, i) => `name-${i}-${'x'.repeat(i % 50)}`);
  for (const n of names) writeFileSync(join(dir, n), '');
  writeFileSync(join(dir, 'ünï'), '');
  const src = join(root, 'src');
  writeFileSync(src, Buffer.alloc(3 * 1024 * 1024 + 7, 9));
  // An atime older than the mtime would be updated by any plain read under relatime.
  utimesSync(dir, 1000, 2_000_000_000);
  utimesSync(src, 1000, 2_000_000_000);
  t.same(readdirNoatime(dir).sort(), [...names, 'ünï'].sort());
  copyFileNoatime(src, join(root, 'dst'));
  t.equal(statSync(dir).atimeMs, 1_000_000, 'dir atime kept');
  t.equal(statSync(src).atimeMs, 1_000_000, 'source atime kept');
  t.equal(readFileSync(join(root, 'dst')).compare(readFileSync(src)), 0);
  t.throws(() => copyFileNoatime(src, join(root, 'dst')), { code: 'EEXIST' });
  t.throws(() => readdirNoatime(join(root, 'nope')), { code: 'ENOENT' });
});
