// Regressions of the review of metacopy=on (6791d75..bad7ecd) where the kernel refuses a lookup,
// through ovl-fuse next to kernel overlayfs (test/helpers/side-by-side.ts): the metacopy copy of a
// lower hard link read without metacopy, listings under metacopy=off and the raw getdents order
// with '.' and '..' in place, and the daemon's fds after opens of a metacopy file.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { getXattr, umountSurely } from '../../src/sys/index.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs, mountKernel } from '../helpers/layers.js';
import {
  dirMarks, lowerLinks, OVL, SIZE, dataOf, listing, lowerFiles, nameObs, observeName, observeNames, onEach,
  sameAsKernel,
} from '../helpers/side-by-side.js';

/** The raw getdents order of a dir, '.' and '..' where they came (`ls -fa`), or ls's failure. */
function rawOrder(p: string): string[] | { error: string } {
  const r = spawnSync('ls', ['-fa', p], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr.includes('Operation not permitted') ? 'EPERM' : r.stderr.trim() };
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

t.test('metacopy copies of lower hard links (no origin, dir not impure), mounted without metacopy: refused as by the kernel', async (t) => {
  const runs = await onEach(t, 'hardlink-off', {
    async fill(d) {
      lowerLinks(d, ['h1', 'h2']);
      lowerFiles(d, ['dd/keep', 'solo']);
      mountKernel(d, { metacopy: true });
      const m = d.merged;
      renameSync(join(m, 'h1'), join(m, 'dd/h1'));
      mkdirSync(join(m, 'nd'));
      renameSync(join(m, 'h2'), join(m, 'nd/h2'));
      await umountSurely(m);
    },
    run: (d) => ({
      ...observeNames(d, ['dd/h1', 'nd/h2', 'solo'], ['h1', 'solo']),
      readdir: { dd: listing(join(d.merged, 'dd')), nd: listing(join(d.merged, 'nd')) },
      marks: dirMarks(d.upper),
    }),
  });
  sameAsKernel(t, runs);
  const k = runs.kernel;
  if (!k) return;
  for (const n of ['dd/h1', 'nd/h2']) {
    t.match(k.upper[n], { metacopy: '', origin: false, sparse: true }, `${n}: a metacopy copy without origin on the kernel`);
    t.same(nameObs(k.seen, n).stat, { error: 'EPERM' }, `${n}: the kernel refuses its stat`);
    t.same(nameObs(k.seen, n).data, { error: 'EPERM' }, `${n}: and its open`);
  }
  t.notOk('impure' in k.seen.marks.dd!, 'dd is not impure');
  t.notOk('impure' in k.seen.marks.nd!, 'nd is not impure');
});

t.test('metacopy=on: opening and reading a metacopy file 200 times leaves the daemon no more fds', async (t) => {
  for (const transport of ['dev', 'fuse-native'] as const) {
    await t.test(`transport=${transport}`, async (t) => {
      const d = layerDirs(t, 1, 'ovlkit-metacopy-fds-');
      lowerFiles(d, ['f']);
      await mountFuse(t, d, `metacopy=on,transport=${transport}`);
      chmodSync(join(d.merged, 'f'), 0o600);
      t.equal(getXattr(join(d.upper, 'f'), OVL.name('metacopy'))?.length, 0, 'f is a metacopy file');
      const pids = (await execa('pgrep', ['-f', d.merged], { reject: false })).stdout.split('\n').filter(Boolean);
      t.equal(pids.length, 1, 'one daemon serves the mount');
      const fds = () => readdirSync(`/proc/${pids[0]}/fd`).length;
      readFileSync(join(d.merged, 'f'));
      const before = fds();
      let read = 0;
      for (let i = 0; i < 200; i++) read += readFileSync(join(d.merged, 'f')).length;
      const after = fds();
      t.equal(read, 200 * SIZE, 'each read the whole file');
      t.ok(after - before < 20, `fds before ${before}, after ${after}`);
    });
  }
});

/**
 * A lower dir `md` whose first getdents entry is a regular name (not '.' or '..'): names tried from
 * fixed sets until one is first, the same on every fresh copy of the same fs (ext4's name hash).
 */
function dirWithNameFirst(l1: string): string {
  for (const prefix of 'abcdefghij') {
    const md = join(l1, 'md');
    rmSync(md, { recursive: true, force: true });
    mkdirSync(md);
    for (let i = 0; i < 6; i++) writeFileSync(join(md, `${prefix}${i}`), dataOf(`${prefix}${i}`));
    const first = (rawOrder(md) as string[])[0]!;
    if (first !== '.' && first !== '..') return first;
  }
  throw new Error('no name set put a name before the dots');
}

t.test('listings under metacopy=off of dirs that hold metacopy files, as on the kernel', async (t) => {
  await t.test('a merged impure dir whose first entry is refused: the listing fails EPERM', async (t) => {
    const refused: string[] = [];
    const runs = await onEach(t, 'list-merged', {
      async fill(d) {
        const first = dirWithNameFirst(d.lowers[0]!);
        refused.push(first);
        mountKernel(d, { metacopy: true });
        chmodSync(join(d.merged, 'md', first), 0o600);
        await umountSurely(d.merged);
      },
      run: (d) => ({
        readdir: listing(join(d.merged, 'md')),
        raw: rawOrder(join(d.merged, 'md')),
        refused: observeName(join(d.merged, 'md', refused[0]!)).stat,
        marks: dirMarks(d.upper),
      }),
    });
    sameAsKernel(t, runs);
    const k = runs.kernel;
    if (!k) return;
    t.same(k.seen.readdir, { error: 'EPERM' }, 'the kernel fails the listing');
    t.same(k.seen.refused, { error: 'EPERM' }, 'the name first in the lower dir is refused');
    t.same(k.seen.marks.md, { impure: 'y' }, 'md is merged (not opaque) and impure');
    t.match(k.upper[`md/${refused[0]}`], { metacopy: '' }, 'a metacopy copy');
  });

  await t.test('an upper-only impure dir holding a metacopy file: the listing fails EPERM', async (t) => {
    const runs = await onEach(t, 'list-upper', {
      async fill(d) {
        lowerFiles(d, ['a', 'c']);
        mountKernel(d, { metacopy: true });
        const m = d.merged;
        mkdirSync(join(m, 'nd'));
        renameSync(join(m, 'a'), join(m, 'nd/a'));
        writeFileSync(join(m, 'nd/z'), '');
        mkdirSync(join(m, 'nd2'));
        renameSync(join(m, 'c'), join(m, 'nd2/c'));
        writeFileSync(join(m, 'nd2/y'), '');
        await umountSurely(m);
      },
      run: (d) => ({
        nd: listing(join(d.merged, 'nd')),
        nd2: listing(join(d.merged, 'nd2')),
        z: observeName(join(d.merged, 'nd/z')).stat,
        marks: dirMarks(d.upper),
      }),
    });
    sameAsKernel(t, runs);
    const k = runs.kernel;
    if (!k) return;
    t.same([k.seen.nd, k.seen.nd2], [{ error: 'EPERM' }, { error: 'EPERM' }], 'the kernel fails both listings');
    t.same(k.seen.marks.nd, { impure: 'y', opaque: 'y' }, 'nd is upper-only (opaque) and impure');
    t.match(k.upper['nd/a'], { metacopy: '', redirect: '/a' }, 'nd/a a moved metacopy file');
  });

  await t.test("merged dirs list '.' and '..' where the lowest layer's getdents had them", async (t) => {
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const runs = await onEach(t, 'list-dots', {
      lowers: 2,
      fill(d) {
        const [l1, l2] = d.lowers as [string, string];
        for (const dir of ['m1', 'm2']) {
          for (const l of [l1, l2]) mkdirSync(join(l, dir));
          for (const n of names) writeFileSync(join(l2, dir, n), n);
          writeFileSync(join(l1, dir, 'top'), 'top');
        }
        mkdirSync(join(d.upper, 'm2'));
        writeFileSync(join(d.upper, 'm2', 'up'), 'up');
        // Dots after the lowest layer's last name (an empty dir lists only them; a one-name dir
        // often ends with '..'): they stay before the upper's names (the second review of f326861).
        mkdirSync(join(l2, 'empty'));
        for (let i = 0; i < 8; i++) {
          mkdirSync(join(l2, `one${i}`));
          writeFileSync(join(l2, `one${i}`, `name${i}`), 'x');
          mkdirSync(join(d.upper, `one${i}`));
          for (const up of ['up1', 'up2']) writeFileSync(join(d.upper, `one${i}`, up), up);
        }
      },
      run(d) {
        const m = d.merged;
        // A name created, one removed: the upper's own entries among the lower ones.
        writeFileSync(join(m, 'm1', 'new'), 'new');
        rmSync(join(m, 'm1', 'n3'));
        writeFileSync(join(m, 'empty', 'newfile'), 'new');
        return {
          '/': rawOrder(m),
          m1: rawOrder(join(m, 'm1')),
          m2: rawOrder(join(m, 'm2')),
          empty: rawOrder(join(m, 'empty')),
          ones: Array.from({ length: 8 }, (_, i) => rawOrder(join(m, `one${i}`))),
          lowest: { m1: rawOrder(join(d.lowers[1]!, 'm1')), m2: rawOrder(join(d.lowers[1]!, 'm2')) },
        };
      },
    });
    sameAsKernel(t, runs);
    const k = runs.kernel?.seen;
    if (!k) return;
    for (const dir of ['m1', 'm2'] as const) {
      const merged = k[dir] as string[];
      const lowest = (k.lowest[dir] as string[]).filter((n) => merged.includes(n));
      t.same(merged.filter((n) => lowest.includes(n)), lowest, `${dir}: the kernel keeps the lowest layer's order, '.' and '..' included`);
    }
    const dotsFirst = (l: string[]) => [...l.slice(0, 2)].sort().join() === '.,..';
    t.ok(['m1', 'm2'].some((dir) => !dotsFirst(k[dir as 'm1'] as string[])), "the kernel does not always list '.' and '..' first");
  });
});
