// The d_ino the merged root lists for `..`, through ovl-fuse next to kernel overlayfs
// (test/helpers/side-by-side.ts): the kernel does not look the root's parent up, so it lists the
// d_ino the top layer's own getdents gave (the dir holding the upper, or the top lower when
// read-only), not the root's st_ino. Each layer sits in a dir of its own here, so which one it
// is shows. Other dirs list their parent's st_ino on both (test/fuse/listing-*.test.ts).
import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { dotDotIno } from '../../src/sys/index.js';
import { fuseOptions } from '../helpers/fuse.js';
import type { LayerDirs } from '../helpers/layers.js';
import { mountWith } from '../helpers/mount-target.js';
import { type Case, attempt, onEach, sameAsKernel } from '../helpers/side-by-side.js';

/** Which dir's inode `ino` is, by name, among the layers' parents and the mount's own dirs. */
function whose(d: LayerDirs, ino: bigint | null): string {
  const dirs: Record<string, string> = {
    'upper\'s parent': join(d.root, 'U'),
    'top lower\'s parent': join(d.root, 'L1'),
    'bottom lower\'s parent': join(d.root, 'L2'),
    'merged root': d.merged,
    'mount point\'s parent': d.root,
  };
  for (const [name, p] of Object.entries(dirs)) if (lstatSync(p, { bigint: true }).ino === ino) return name;
  return `another inode (${ino})`;
}

const layout = (readonly: boolean): Case<{ dotdot: string | { error: string } }> => ({
  lowers: 2,
  fill(d) {
    d.lowers = [join(d.root, 'L1/l'), join(d.root, 'L2/l')];
    d.upper = join(d.root, 'U/u');
    d.work = join(d.root, 'U/w');
    for (const p of [...d.lowers, d.upper, d.work]) mkdirSync(p, { recursive: true });
    mkdirSync(join(d.lowers[0]!, 'a'));
    mkdirSync(join(d.lowers[1]!, 'b'));
  },
  mount: mountWith((d) => fuseOptions(d, '', readonly)),
  run: (d) => ({ dotdot: attempt(() => whose(d, dotDotIno(d.merged))) }),
});

t.test('the root lists `..` as the top layer\'s getdents does: the upper\'s parent', async (t) => {
  const runs = await onEach(t, 'root-dotdot', layout(false), 'ovlkit-dotdot');
  sameAsKernel(t, runs);
  t.same(runs.kernel?.seen.dotdot, 'upper\'s parent', 'the kernel, for reference');
});

t.test('read-only: the top lower\'s parent', async (t) => {
  const runs = await onEach(t, 'root-dotdot-ro', layout(true), 'ovlkit-dotdot');
  sameAsKernel(t, runs);
  t.same(runs.kernel?.seen.dotdot, 'top lower\'s parent', 'the kernel, for reference');
});
