// The whiteouts unlink and rmdir leave, through ovl-fuse next to kernel overlayfs
// (test/helpers/side-by-side.ts): links of one whiteout per mount kept in the work dir
// (ovl_whiteout; spec S20), where a rename's whiteout is the upper's own (RENAME_WHITEOUT); and
// what that means for an upper out of inodes: on ext4 a link costs none, so every `rm` after the
// first still hides its lower name; on tmpfs a link costs one, so the kernel gives up sharing.
import { execFileSync } from 'node:child_process';
import { appendFileSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startFuse } from '../helpers/fuse.js';
import type { LayerDirs } from '../helpers/layers.js';
import { type Case, done, inodeClasses, listing, onEach, sameAsKernel } from '../helpers/side-by-side.js';

/** Each upper name (and work/work's entries, named by position) as type, nlink and inode relation. */
function upperLinks(d: LayerDirs) {
  const upper = readdirSync(d.upper).sort();
  const work = readdirSync(join(d.work, 'work')).sort();
  const paths: Array<[string, string]> = [...upper.map((n): [string, string] => [n, join(d.upper, n)]), ...work.map((n, i): [string, string] => [`work#${i}`, join(d.work, 'work', n)])];
  const kind = (p: string) => {
    const st = lstatSync(p);
    return `${st.isCharacterDevice() && st.rdev === 0 ? 'whiteout' : st.isDirectory() ? 'dir' : 'file'} nlink ${st.nlink}`;
  };
  return { names: Object.fromEntries(paths.map(([label, p]) => [label, kind(p)])), inodes: inodeClasses(paths) };
}

t.test('unlink and rmdir link one whiteout kept in the work dir; a rename\'s whiteout is its own, as on the kernel', async (t) => {
  const runs = await onEach(t, 'shared', {
    fill(d) {
      const l = d.lowers[0]!;
      for (const f of ['a', 'b', 'c']) writeFileSync(join(l, f), f);
      mkdirSync(join(l, 'dd'));
      mkdirSync(join(l, 'tree/x'), { recursive: true });
      writeFileSync(join(l, 'tree/x/f'), 'f');
      mkdirSync(join(l, 'rr'));
    },
    options: 'redirect_dir=on',
    run(d) {
      const m = (n: string) => join(d.merged, n);
      const steps = {
        // A copied-up file: the whiteout renamed over its upper copy.
        unlinkCopied: done(() => (appendFileSync(m('a'), 'x'), unlinkSync(m('a')))),
        // A lower-only file and dir: a whiteout where the upper has nothing.
        unlinkLower: done(() => unlinkSync(m('c'))),
        rmdirLower: done(() => rmdirSync(m('dd'))),
        // A merged dir whose copy holds whiteouts: a whiteout exchanged for it.
        rmTree: done(() => rmSync(m('tree'), { recursive: true })),
        renameFile: done(() => renameSync(m('b'), m('b2'))),
        renameDir: done(() => renameSync(m('rr'), m('rr2'))),
      };
      return { steps, listing: listing(d.merged), upper: upperLinks(d) };
    },
  }, 'ovlkit-whiteout');
  sameAsKernel(t, runs);
  const seen = runs.fuse?.seen;
  if (seen) t.equal(seen.upper.names.a, 'whiteout nlink 5', 'four whiteouts and the work dir\'s share one inode');
});

/**
 * An upper on its own small filesystem with one inode left after the mount: `mkfs` is an ext4
 * image on a loop device, or tmpfs. Files made beside the upper dir use up the rest.
 */
function smallUpper(fs: 'ext4' | 'tmpfs'): Pick<Case<unknown>, 'fill' | 'mount'> {
  const small = (d: LayerDirs) => join(d.root, 'small');
  return {
    fill(d) {
      for (const f of ['a', 'b', 'c', 'd']) writeFileSync(join(d.lowers[0]!, f), f);
      const s = small(d);
      mkdirSync(s);
      if (fs === 'ext4') {
        execFileSync('truncate', ['-s', '8M', join(d.root, 'img')]);
        execFileSync('mkfs.ext4', ['-q', '-N', '64', join(d.root, 'img')]);
        execFileSync('mount', ['-o', 'loop', join(d.root, 'img'), s]);
      } else execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=64', 'tmpfs', s]);
      d.track(s);
      d.upper = join(s, 'upper');
      d.work = join(s, 'work');
      for (const p of [d.upper, d.work, join(s, 'fill')]) mkdirSync(p);
    },
    async mount(t, target, d) {
      const opts = `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${d.work}`;
      if (target === 'kernel') execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', opts, d.merged]);
      else await startFuse(t, opts, d.merged);
      const fill = join(small(d), 'fill');
      let i = 0;
      for (;;) {
        try {
          writeFileSync(join(fill, String(i)), '');
        } catch {
          break;
        }
        i++;
      }
      unlinkSync(join(fill, '0'));
    },
  };
}

for (const fs of ['ext4', 'tmpfs'] as const) {
  t.test(`an upper on ${fs} with one inode left: rm of lower files as on the kernel`, async (t) => {
    const runs = await onEach(t, `inodes-${fs}`, {
      ...smallUpper(fs),
      run(d) {
        const rm = Object.fromEntries(['a', 'b', 'c', 'd'].map((f) => [f, done(() => unlinkSync(join(d.merged, f)))]));
        return { rm, listing: listing(d.merged), upper: upperLinks(d) };
      },
    }, 'ovlkit-whiteout');
    sameAsKernel(t, runs);
    const rm = runs.kernel?.seen.rm;
    // What the kernel did, so a change of its behaviour shows here rather than passing unseen.
    if (rm) t.same(rm, fs === 'ext4' ? { a: 'ok', b: 'ok', c: 'ok', d: 'ok' } : { a: 'ok', b: { error: 'ENOSPC' }, c: { error: 'ENOSPC' }, d: { error: 'ENOSPC' } }, 'the kernel, for reference');
  });
}
