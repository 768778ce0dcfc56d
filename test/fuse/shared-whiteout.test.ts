// The whiteouts unlink and rmdir leave, through ovl-fuse next to kernel overlayfs
// (test/helpers/side-by-side.ts): links of one whiteout per mount kept in the work dir
// (ovl_whiteout; spec S20), where a rename's whiteout is the upper's own (RENAME_WHITEOUT); and
// what that means for an upper out of inodes: on ext4 a link costs none, so every `rm` after the
// first still hides its lower name; on tmpfs a link costs one, so the kernel gives up sharing.
import { execFileSync } from 'node:child_process';
import { appendFileSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fuseOptions } from '../helpers/fuse.js';
import type { LayerDirs } from '../helpers/layers.js';
import { mountTarget } from '../helpers/mount-target.js';
import { ext4At, tmpfsAt } from '../helpers/scratch-fs.js';
import { listXattrs } from '../../src/sys/index.js';
import { type Case, attempt, done, inodeClasses, listing, onEach, sameAsKernel } from '../helpers/side-by-side.js';

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

/** Make files beside the upper dir (in `small/fill`) until the filesystem refuses, then free `leave` of them. */
function useUpInodes(d: LayerDirs, leave: number): void {
  const fill = join(d.root, 'small', 'fill');
  let i = 0;
  for (;;) {
    try {
      writeFileSync(join(fill, String(i)), '');
    } catch {
      break;
    }
    i++;
  }
  for (let k = 0; k < leave; k++) unlinkSync(join(fill, String(k)));
}

/**
 * An upper on its own small filesystem, with `leave` inodes left after the mount: an ext4 image on
 * a loop device, or tmpfs. `lower` fills the lower dir; `options` are added to the mount's.
 */
function smallUpper(fs: 'ext4' | 'tmpfs', lower: (l: string) => void, leave: number | null = 1, options = ''): Pick<Case<unknown>, 'fill' | 'mount'> {
  return {
    fill(d) {
      lower(d.lowers[0]!);
      const s = join(d.root, 'small');
      if (fs === 'ext4') ext4At(d, s, '8M', 64);
      else tmpfsAt(d, s, 'size=4m,nr_inodes=64');
      d.upper = join(s, 'upper');
      d.work = join(s, 'work');
      for (const p of [d.upper, d.work, join(s, 'fill')]) mkdirSync(p);
    },
    async mount(t, target, d) {
      await mountTarget(t, target, d.merged, fuseOptions(d, options));
      if (leave !== null) useUpInodes(d, leave);
    },
  };
}

const fourFiles = (l: string) => {
  for (const f of ['a', 'b', 'c', 'd']) writeFileSync(join(l, f), f);
};

for (const fs of ['ext4', 'tmpfs'] as const) {
  t.test(`an upper on ${fs} with one inode left: rm of lower files as on the kernel`, async (t) => {
    const runs = await onEach(t, `inodes-${fs}`, {
      ...smallUpper(fs, fourFiles),
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

t.test('rmdir of a dir whose copy holds whiteouts needs an inode for its empty replica (ovl_clear_empty): ENOSPC on a full upper, as on the kernel', async (t) => {
  const lower = (l: string) => {
    writeFileSync(join(l, 'x'), 'x');
    for (const dir of ['d', 'r']) {
      mkdirSync(join(l, dir));
      for (const f of ['a', 'b']) writeFileSync(join(l, dir, f), f);
    }
  };
  const runs = await onEach(t, 'clear-empty', {
    ...smallUpper('ext4', lower, null, 'redirect_dir=on'),
    run(d) {
      const m = (n: string) => join(d.merged, n);
      const setup = {
        // The shared whiteout made while inodes are left; d and r copied up, whiteouts in them.
        rmX: done(() => unlinkSync(m('x'))),
        rmInD: done(() => (unlinkSync(m('d/a')), unlinkSync(m('d/b')))),
        // r moved (a redirect): its new name has no lower, its copy holds whiteouts.
        moveR: done(() => (renameSync(m('r'), m('moved')), unlinkSync(m('moved/a')), unlinkSync(m('moved/b')))),
      };
      useUpInodes(d, 0);
      const full = { rmdirD: done(() => rmdirSync(m('d'))), rmdirMoved: done(() => rmdirSync(m('moved'))) };
      useUpInodes(d, 2);
      const freed = { rmdirD: done(() => rmdirSync(m('d'))), rmdirMoved: done(() => rmdirSync(m('moved'))) };
      return { setup, full, freed, listing: listing(d.merged), upper: upperLinks(d) };
    },
  }, 'ovlkit-whiteout');
  sameAsKernel(t, runs);
  if (runs.kernel) t.same(runs.kernel.seen.full, { rmdirD: { error: 'ENOSPC' }, rmdirMoved: { error: 'ENOSPC' } }, 'the kernel, for reference');
});

t.test('a workdir with a default ACL: work/ and the whiteouts and copies made there carry no ACL, as the kernel strips them from work/', async (t) => {
  const runs = await onEach(t, 'work-acl', {
    fill(d) {
      writeFileSync(join(d.lowers[0]!, 'gone'), 'g');
      writeFileSync(join(d.lowers[0]!, 'copied'), 'c');
      execFileSync('setfacl', ['-d', '-m', 'u:1001:rwx', d.work]);
      mkdirSync(join(d.work, 'work'));
      execFileSync('setfacl', ['-m', 'u:1002:rwx', '-d', '-m', 'u:1002:rwx', join(d.work, 'work')]);
    },
    run(d) {
      const m = (n: string) => join(d.merged, n);
      const steps = { rm: done(() => unlinkSync(m('gone'))), append: done(() => appendFileSync(m('copied'), 'x')) };
      const xattrsOf = (p: string) => attempt(() => listXattrs(p).filter((n) => n.startsWith('system.')).sort());
      const work = join(d.work, 'work');
      return {
        steps,
        work: xattrsOf(work),
        workMode: (lstatSync(work).mode & 0o7777).toString(8),
        inWork: readdirSync(work).map((n) => xattrsOf(join(work, n))),
        upper: Object.fromEntries(['gone', 'copied'].map((n) => [n, xattrsOf(join(d.upper, n))])),
      };
    },
  }, 'ovlkit-whiteout');
  sameAsKernel(t, runs);
  if (runs.kernel) t.same(runs.kernel.seen.upper, { gone: [], copied: [] }, 'the kernel, for reference');
});
