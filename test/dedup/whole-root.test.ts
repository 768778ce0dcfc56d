// The whole-root row against find -xdev and du -x on roots with what a live Docker host has and
// a generated root lacks: the kernel's shared whiteout (an upper's whiteout hard-linked to
// work/work/#NNN, outside the layer dirs), a running container's merged/ mount point, and both
// stores after `migrate --in-place` (the overlay2 diffs hard-link the legacy files).
import { linkSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { writeFakeRoot } from '../../src/dedup/fake-root.js';
import { makeWhiteout } from '../../src/sys/index.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-whole-'));
const root = join(work, 'root');
const merged = join(root, 'overlay2', 'ba5e'.padEnd(64, '0'), 'merged');
t.teardown(async () => {
  await execa('umount', [merged], { reject: false });
  rmSync(work, { recursive: true, force: true });
});

const layer = 'ba5e'.padEnd(64, '0');
writeFakeRoot(root, 'overlay2', [{ tags: ['base:1'], layers: [{ id: layer, build: (d) => {
  writeFileSync(join(d, 'file'), Buffer.alloc(10_000, 1));
  makeWhiteout(join(d, 'gone'));
} }] }]);
// The kernel makes one whiteout in workdir/work and hard-links each new whiteout to it.
mkdirSync(join(root, 'overlay2', layer, 'work', 'work'), { recursive: true });
linkSync(join(root, 'overlay2', layer, 'diff', 'gone'), join(root, 'overlay2', layer, 'work', 'work', '#1'));
mkdirSync(merged);
await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', merged]);
writeFileSync(join(merged, 'in-the-mount'), Buffer.alloc(8192, 2));

const sh = async (cmd: string): Promise<number> => Number((await execa('sh', ['-c', cmd])).stdout.trim().split(/\s/)[0]);

async function checkWholeRoot(t: Test, root: string): Promise<void> {
  const names = await sh(`find '${root}' -xdev | wc -l`);
  const inodes = await sh(`du -s -x --inodes '${root}'`);
  const du = await sh(`du -s -x -B1 '${root}'`);
  const r = await execa(bin, ['analyze', root, '--json', '-'], { reject: false, env: { CI: '' } });
  t.equal(r.exitCode, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.same({ entries: j.wholeRoot.entries, inodes: j.wholeRoot.inodes, diskBytes: j.wholeRoot.diskBytes }, { entries: names, inodes, diskBytes: du });
}

t.test('a shared whiteout and a mount point: entries, inodes and disk equal find -xdev, du -x --inodes and du -x', (t) => checkWholeRoot(t, root));

t.test('legacy and overlay2 stores side by side after migrate --in-place', async (t) => {
  const both = join(work, 'both');
  writeFakeRoot(both, 'overlay', [{ tags: ['two:1'], layers: [
    { id: 'c'.repeat(64), build: (d) => writeFileSync(join(d, 'big'), Buffer.alloc(50_000, 3)) },
    { id: 'd'.repeat(64), build: (d) => writeFileSync(join(d, 'more'), Buffer.alloc(20_000, 4)) },
  ] }]);
  const m = await execa(bin, ['migrate', both, '--in-place'], { reject: false });
  t.equal(m.exitCode, 0, m.stderr);
  await checkWholeRoot(t, both);
});
