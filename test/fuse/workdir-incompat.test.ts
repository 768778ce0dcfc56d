// A `volatile` mount marks its workdir (work/incompat/volatile/dirty) and every later mount of it
// is refused until a user removes the marker: after a volatile mount the upper may lack data its
// writers were told was written (overlayfs.rst, "Volatile mount"). Side by side with the kernel,
// each way round: the marker either one leaves stops the other too (checked on 6.18).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { formatMountOptions } from '../../src/format/index.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { type LayerDirs, kernelOptions, layerDirs } from '../helpers/layers.js';
import { tryMount } from '../helpers/mount-target.js';
import type { Target } from '../helpers/side-by-side.js';

/** Mount `target` with `extra` options; the command's exit code and stderr. */
const mount = (target: Target, d: LayerDirs, extra = '') => tryMount(target, d.merged, formatMountOptions(kernelOptions(d)) + extra);

/** The workdir's tree: each entry's type, mode and relative path, sorted. */
function tree(dir: string): string[] {
  const r = spawnSync('find', [dir, '-mindepth', '1', '-printf', '%M %P\n'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).sort();
}

const MARKED = ['d--------- work', 'd--------- work/incompat', 'd--------- work/incompat/volatile', '---------- work/incompat/volatile/dirty'].sort();

for (const [first, next] of [['kernel', 'fuse'], ['fuse', 'kernel'], ['fuse', 'fuse']] as const) {
  t.test(`a volatile ${first} mount, then a ${next} mount of the same dirs: refused until the marker is removed`, async (t) => {
    const d = layerDirs(t, 1, `ovlkit-incompat-${first}-${next}-`);
    writeFileSync(join(d.lowers[0]!, 'f'), 'f');
    t.equal((await mount(first, d, ',volatile')).code, 0, `${first} mounts volatile`);
    writeFileSync(join(d.merged, 'g'), 'g');
    t.same(tree(d.work), MARKED, `${first}: the marker while mounted`);
    await umountSurely(d.merged);
    t.same(tree(d.work), MARKED, `${first}: the marker stays after umount`);

    for (const extra of ['', ',volatile']) {
      const r = await mount(next, d, extra);
      t.not(r.code, 0, `${next}${extra}: refused`);
      t.notOk(isMounted(d.merged), 'nothing mounted');
      // Mounted after all (a failure): off again, or the next attempt stacks a mount on it.
      if (isMounted(d.merged)) await umountSurely(d.merged);
      if (next === 'fuse') {
        t.same([r.code, r.stderr], [2, `ovl-fuse: workdir ${d.work}: overlay with incompat feature 'volatile' cannot be mounted`], 'exit 2, one line');
      }
      t.same(tree(d.work), MARKED, 'the workdir untouched');
    }
    // What overlayfs.rst tells a user who knows the upper is intact: remove the volatile dir.
    rmSync(join(d.work, 'work', 'incompat', 'volatile'), { recursive: true });
    t.equal((await mount(next, d)).code, 0, `${next} mounts once the marker is gone`);
    t.same(readdirSync(d.merged).sort(), ['f', 'g']);
    t.same(tree(d.work), ['d--------- work'], 'a fresh work/');
  });
}

t.test('other names in work/incompat: refused by both, except names starting with a dot', async (t) => {
  for (const [name, refused] of [['feature', true], ['.hidden', false]] as const) {
    const codes: number[] = [];
    for (const target of ['kernel', 'fuse'] as const) {
      const d = layerDirs(t, 1, `ovlkit-incompat-names-${target}-`);
      mkdirSync(join(d.work, 'work', 'incompat', name), { recursive: true });
      const r = await mount(target, d);
      codes.push(r.code === 0 ? 0 : 1);
      if (target === 'fuse' && refused) t.equal(r.stderr, `ovl-fuse: workdir ${d.work}: overlay with incompat feature '${name}' cannot be mounted`);
      if (isMounted(d.merged)) await umountSurely(d.merged);
    }
    t.same(codes, refused ? [1, 1] : [0, 0], `${name}: ${refused ? 'refused' : 'mounted'} by both`);
  }
});
