import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import { NodeTable } from './node-table.js';
import { startWatch } from './watch-start.js';
import { watchMode } from './watch-mode.js';
import { scratchDir, sh } from '../../test/helpers/scratch.js';

t.test('watch= defaults to on for cache=auto only; bad values are usage errors', async (t) => {
  t.equal(watchMode(undefined, 'auto'), 'on');
  t.equal(watchMode(undefined, 'never'), 'off');
  t.equal(watchMode(undefined, 'always'), 'off');
  t.equal(watchMode('on', 'always'), 'on');
  t.equal(watchMode('off', 'auto'), 'off');
  t.throws(() => watchMode('yes', 'auto'), UsageError);
  t.throws(() => watchMode(true, 'auto'), /watch=: expected on or off/);
});

const root = scratchDir(t, 'watch-start');

t.test('served by the loop: an outside change in a lower reaches the session as invalidations', async (t) => {
  const upper = join(root, 'u');
  const lower = join(root, 'l');
  mkdirSync(join(lower, 'd'), { recursive: true });
  mkdirSync(upper);
  const table = new NodeTable();
  const d = table.lookup(table.root, 'd');
  const told: string[] = [];
  const forgot: (string | null)[] = [];
  let served: (() => void) | null = null;
  const session = {
    watchFd: (_fd: number, onReadable: () => void) => (served = onReadable),
    invalEntry: (p: number, name: string) => told.push(`entry ${p} ${name}`),
    invalInode: (n: number) => told.push(`inode ${n}`),
  };
  const w = startWatch([upper, lower], session, { table, forget: (p) => forgot.push(p) });
  t.ok(w && served, 'running, fd handed to the loop');
  t.teardown(() => w?.close());
  sh('touch d/new', lower);
  for (let i = 0; i < 200 && !told.includes(`entry ${d.id} new`); i++) {
    served!();
    execFileSync('sleep', ['0.01']);
  }
  t.ok(told.includes(`entry ${d.id} new`));
  t.ok(forgot.includes('/d/new'));
  t.ok(w!.stats.events >= 1 && w!.stats.changes >= 1 && w!.stats.entries >= 1);
});

t.test('without CAP_SYS_ADMIN: one warning, no watcher, no failure', async (t) => {
  const layer = mkdtempSync(join(root, 'nobody-'));
  chmodSync(root, 0o755);
  chmodSync(layer, 0o755);
  // Only tap's TypeScript loader, and `env -i`: tap's coverage hook rides on the environment of
  // every child it sees spawned and would write into the checkout as nobody.
  const loader = process.execArgv.filter((a) => a.includes('typescript'));
  const script = `
    import { startWatch } from ${JSON.stringify(new URL('./watch-start.ts', import.meta.url).href)};
    import { NodeTable } from ${JSON.stringify(new URL('./node-table.ts', import.meta.url).href)};
    const w = startWatch([${JSON.stringify(layer)}], { watchFd() {}, invalEntry() {}, invalInode() {} },
      { table: new NodeTable(), forget() {} });
    console.log(w === null ? 'fell back' : 'watching');`;
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', '-i', process.execPath, ...loader, '--input-type=module', '-e', script],
    { encoding: 'utf8', cwd: '/' },
  );
  t.equal(r.stdout.trim(), 'fell back', r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('ovl-fuse: warning'));
  t.same(warnings, [
    'ovl-fuse: warning: not watching the layers for outside changes (fanotify filesystem marks need root (CAP_SYS_ADMIN)); attributes are asked for on every access instead',
  ]);
});
