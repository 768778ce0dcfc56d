// A lower on a filesystem that gives no file handles to decode (a kernel overlay mounted without
// nfs_export: a container's own root, ovl-fuse run inside it), through ovl-fuse next to kernel
// overlayfs (test/helpers/side-by-side.ts): copy-ups, chmods and removals work, and each copy
// carries the empty `origin` the kernel stores then (ovl_get_origin_fh). Before 2026-12-06 every
// copy-up failed EOPNOTSUPP (name_to_handle_at).
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr } from '../../src/sys/index.js';
import { fuseOptions } from '../helpers/fuse.js';
import { mountWith } from '../helpers/mount-target.js';
import { kernelOverlayAt } from '../helpers/scratch-fs.js';
import { type Case, OVL, done, listing, onEach, sameAsKernel } from '../helpers/side-by-side.js';

/**
 * The case's layers: the lower is `l` inside a kernel overlay mounted under the test's root (its
 * files made by `files` in that overlay's own lower first), mounted with `extra` options.
 */
function overlayLower(files: (l: string) => void, extra = ''): Pick<Case<unknown>, 'fill' | 'mount'> {
  return {
    fill(d) {
      const k = kernelOverlayAt(d, (x) => {
        mkdirSync(join(x, 'l'));
        files(join(x, 'l'));
      });
      d.lowers = [join(k, 'l')];
    },
    mount: mountWith((d) => fuseOptions(d, extra)),
  };
}

t.test('a lower on a kernel overlay mount: copy-ups with an empty origin, as on the kernel', async (t) => {
  const runs = await onEach(t, 'nohandles', {
    ...overlayLower((l) => {
      mkdirSync(join(l, 'dir'));
      writeFileSync(join(l, 'a'), 'a');
      writeFileSync(join(l, 'dir/b'), 'b');
    }),
    run(d) {
      const m = (n: string) => join(d.merged, n);
      const steps = {
        append: done(() => appendFileSync(m('a'), '+')),
        chmodDir: done(() => chmodSync(m('dir'), 0o700)),
        rm: done(() => unlinkSync(m('dir/b'))),
      };
      const origin = (n: string) => getXattr(join(d.upper, n), OVL.name('origin'))?.toString('hex') ?? null;
      return { steps, a: readFileSync(m('a'), 'utf8'), dir: listing(m('dir')), origins: { a: origin('a'), dir: origin('dir') } };
    },
  }, 'ovlkit-nohandles');
  sameAsKernel(t, runs);
  t.same(runs.kernel?.seen.origins, { a: '', dir: '' }, 'the kernel, for reference: empty origins');
});

for (const metacopy of [false, true]) {
  t.test(`a copy's inode number with an empty origin${metacopy ? ', metacopy=on' : ''}: the lower's while mounted, ${metacopy ? 'and after a remount (found below by name)' : 'its own after a remount'}, as on the kernel`, async (t) => {
    const runs = await onEach(t, `nohandles-ino${metacopy ? '-mc' : ''}`, {
      ...overlayLower((l) => writeFileSync(join(l, 'a'), 'a'), metacopy ? 'metacopy=on' : ''),
      async run(d, remount) {
        const a = join(d.merged, 'a');
        const ino = () => lstatSync(a).ino;
        const before = ino();
        if (metacopy) chmodSync(a, 0o600);
        else appendFileSync(a, '+');
        const afterCopyUp = ino() === before;
        execFileSync('setfattr', ['-n', 'user.q', '-v', '1', a]);
        const afterXattr = ino() === before;
        await remount();
        const now = ino();
        return { afterCopyUp, afterXattr, remounted: now === lstatSync(join(d.upper, 'a')).ino ? 'the copy\'s own' : 'another' };
      },
    }, 'ovlkit-nohandles');
    sameAsKernel(t, runs);
  });
}
