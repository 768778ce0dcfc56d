// The human output of analyze on deterministic generated roots (a legacy and an overlay2 root of
// the same images), snapshotted so every change to it is deliberate, and checked the way a new
// user would check it: the whole-root row against `find | wc -l` and `du -s -B1`, widths against
// the terminal, a store dir accepted in place of its data root.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { writeFakeRoot, type FakeImage } from '../../src/dedup/fake-root.js';
import { makeWhiteout } from '../../src/sys/index.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-human-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const blob = (n: number, fill: number): Buffer => Buffer.alloc(n, fill);

/** base: a shell and a config; app: a copy of the shell, a chmod'ed config, a deleted file; side: base + one file. */
function images(driver: 'overlay' | 'overlay2'): FakeImage[] {
  const del = (d: string, name: string): void => {
    if (driver === 'overlay') return rmSync(join(d, name));
    mkdirSync(join(d, name, '..'), { recursive: true });
    makeWhiteout(join(d, name));
  };
  const hex = driver === 'overlay' ? 'a' : 'b';
  // cache ids must be what moby's layer store accepts: 64 hex digits
  const base = { id: `${hex}ba5e`.padEnd(64, '0'), build: (d: string) => {
    mkdirSync(join(d, 'bin'), { recursive: true });
    writeFileSync(join(d, 'bin', 'sh'), blob(120_000, 1));
    mkdirSync(join(d, 'etc'), { recursive: true });
    writeFileSync(join(d, 'etc', 'app.conf'), blob(5_000, 2));
    writeFileSync(join(d, 'etc', 'tmp.log'), blob(30_000, 3));
  } };
  const app1 = { id: `${hex}a991`.padEnd(64, '1'), build: (d: string) => {
    mkdirSync(join(d, 'opt'), { recursive: true });
    writeFileSync(join(d, 'opt', 'sh-copy'), blob(120_000, 1));
    del(d, 'etc/tmp.log');
  } };
  const app2 = { id: `${hex}a992`.padEnd(64, '2'), build: (d: string) => {
    mkdirSync(join(d, 'etc'), { recursive: true });
    if (driver === 'overlay') rmSync(join(d, 'etc', 'app.conf'));
    writeFileSync(join(d, 'etc', 'app.conf'), blob(5_000, 2));
    chmodSync(join(d, 'etc', 'app.conf'), 0o600);
  } };
  const side = { id: `${hex}5de`.padEnd(64, '3'), build: (d: string) => writeFileSync(join(d, 'side.txt'), blob(64, 4)) };
  return [{ tags: ['base:1'], layers: [base] }, { tags: ['app:2'], layers: [base, app1, app2] }, { tags: ['side:1'], layers: [base, side] }];
}

const roots = { overlay: join(work, 'legacy'), overlay2: join(work, 'ov2') };
for (const [driver, root] of Object.entries(roots) as Array<['overlay' | 'overlay2', string]>) writeFakeRoot(root, driver, images(driver));

const run = (args: string[], columns = '80') => execa(bin, ['analyze', ...args], { reject: false, env: { CI: '', COLUMNS: columns } });
const widest = (s: string): number => Math.max(...s.split('\n').map((l) => [...l].length));

for (const [driver, root] of Object.entries(roots)) {
  t.test(`${driver}: the human output`, async (t) => {
    t.cleanSnapshot = (s) => s.replaceAll(root, '<root>');
    const r = await run([root]);
    t.equal(r.exitCode, 0, r.stderr);
    t.matchSnapshot(r.stdout, 'SI units, 80 columns');
    t.ok(widest(r.stdout) <= 80, `fits 80 columns (${widest(r.stdout)})`);
    const binary = await run([root, '--binary'], '60');
    t.matchSnapshot(binary.stdout, 'IEC units, 60 columns');
    t.notMatch(binary.stdout, / [kMG]B\b/, 'no SI unit left');
  });

  t.test(`${driver}: the whole-root row is find | wc -l and du -s -B1`, async (t) => {
    const names = Number((await execa('sh', ['-c', `find '${root}' | wc -l`])).stdout.trim());
    const du = Number((await execa('du', ['-s', '-x', '-B1', root])).stdout.split('\t')[0]);
    const j = JSON.parse((await run([root, '--json', '-'])).stdout);
    t.same([j.wholeRoot.entries, j.wholeRoot.diskBytes], [names, du]);
    const human = (await run([root])).stdout;
    t.match(human, new RegExp(`whole data root\\s+${names.toLocaleString('en-US')}\\s`));
  });

  t.test(`${driver}: the store dir is accepted for its data root`, async (t) => {
    const r = await run([join(root, driver), '--json', '-']);
    t.equal(r.exitCode, 0);
    t.equal(r.stderr, `ovl-dedup: ${join(root, driver)} is a store of the data root ${root}; analyzing ${root}`);
    t.equal(JSON.parse(r.stdout).root, root);
  });
}
