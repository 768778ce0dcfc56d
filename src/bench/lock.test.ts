import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lockDataDir } from './lock.js';

t.test('one holder at a time; a dead holder\'s lock is taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const release = lockDataDir(dir);
  writeFileSync(join(dir, '.lock'), String(process.ppid));
  t.throws(() => lockDataDir(dir), /another bench \(pid \d+\) is using/);
  writeFileSync(join(dir, '.lock'), '2147483646');
  const again = lockDataDir(dir);
  again();
  release();
  t.ok(lockDataDir(dir), 'free again after release');
});
