// Upper xattr whiteouts in a listing, next to kernel overlayfs. Lookup takes an xattr whiteout for
// a whiteout in every layer, but a listing drops only the names it looks up: in a merged dir, the
// upper's names are looked up (for their d_ino) once the upper dir is impure, which a copy-up into
// it makes it. So the same upper xattr whiteout is listed before a copy-up beside it and not after
// (also after a remount), while a lower one and one in a dir the kernel does not merge stay listed.
// A lower's are dropped in a dir marked opaque=x, a marker the kernel reads in a lower that is not
// the bottom one only.
import { appendFileSync, lstatSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OverlayXattrs } from '../../src/format/index.js';
import { setXattr } from '../../src/sys/index.js';
import { outcome } from '../helpers/tree.js';
import { remountAs, runTwin } from '../helpers/twin.js';

const trusted = new OverlayXattrs(false);

function xattrWhiteout(path: string): void {
  writeFileSync(path, '');
  setXattr(path, trusted.name('whiteout'), '');
}

const DIRS = ['d', 'e', 'q'];

function look(m: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const dir of DIRS) o[dir] = readdirSync(join(m, dir)).sort();
  for (const p of ['d/w', 'd/lw', 'e/lx', 'q/w']) o[p] = outcome(() => lstatSync(join(m, p)));
  return o;
}

t.test('an upper xattr whiteout leaves the listing of its merged dir once a copy-up makes the dir impure', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 1,
    options: 'redirect_dir=on',
    setup(d) {
      const [l] = d.lowers as [string];
      // d: merged; its upper holds two xattr whiteouts, one over a lower name.
      mkdirSync(join(l, 'd'));
      mkdirSync(join(d.upper, 'd'));
      writeFileSync(join(l, 'd', 'f'), 'f');
      writeFileSync(join(l, 'd', 'lw'), 'lw');
      xattrWhiteout(join(d.upper, 'd', 'w'));
      xattrWhiteout(join(d.upper, 'd', 'lw'));
      // e: merged; an xattr whiteout in the lower (no opaque=x) and one in the upper.
      mkdirSync(join(l, 'e'));
      mkdirSync(join(d.upper, 'e'));
      writeFileSync(join(l, 'e', 'f'), 'f');
      xattrWhiteout(join(l, 'e', 'lx'));
      xattrWhiteout(join(d.upper, 'e', 'ux'));
      // q: upper only (not merged), made impure by a rename into it.
      mkdirSync(join(d.upper, 'q'));
      xattrWhiteout(join(d.upper, 'q', 'w'));
      writeFileSync(join(l, 'lf'), 'lf');
    },
    steps(m) {
      const before = look(m);
      appendFileSync(join(m, 'd', 'f'), '+');
      appendFileSync(join(m, 'e', 'f'), '+');
      renameSync(join(m, 'lf'), join(m, 'q', 'lf'));
      const after = look(m);
      return { before, after, again: look(m) };
    },
  });
  t.same(f.observed, k.observed, 'listings and lstat before and after the copy-ups');
  t.same(f.tree, k.tree, 'merged tree');
  t.same((k.observed.before as { d: string[] }).d, ['f', 'lw', 'w'], 'the kernel lists them while the dir is pure');
  t.same((k.observed.after as { d: string[] }).d, ['f'], 'and not once it is impure');
  const fuseDirs = f.dirs;
  // The same upper, mounted again by each: the impure mark is on disk now.
  await remountAs(t, 'fuse', fuseDirs, 'redirect_dir=on');
  const fuseAgain = look(fuseDirs.merged);
  await remountAs(t, 'kernel', fuseDirs, 'redirect_dir=on');
  t.same(fuseAgain, look(fuseDirs.merged), 'after a remount: the same through both');
});

t.test('opaque=x counts in a lower above the bottom one only', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 2,
    setup(d) {
      const [l1, l2] = d.lowers as [string, string];
      // D: merged, marked in the bottom lower (not read there); E: marked in the top lower.
      for (const dir of ['D', 'E']) for (const root of [l1, l2, d.upper]) mkdirSync(join(root, dir));
      setXattr(join(l2, 'D'), trusted.name('opaque'), 'x');
      xattrWhiteout(join(l2, 'D', 'z'));
      writeFileSync(join(l2, 'D', 'a'), 'a');
      setXattr(join(l1, 'E'), trusted.name('opaque'), 'x');
      xattrWhiteout(join(l1, 'E', 'z'));
      xattrWhiteout(join(l2, 'E', 'y'));
      // S: only in the bottom lower, marked: not merged, listed as it is.
      mkdirSync(join(l2, 'S'));
      setXattr(join(l2, 'S'), trusted.name('opaque'), 'x');
      xattrWhiteout(join(l2, 'S', 's'));
    },
    steps(m) {
      const o: Record<string, unknown> = {};
      for (const dir of ['D', 'E', 'S']) {
        const names = readdirSync(join(m, dir)).sort();
        o[dir] = names;
        for (const n of names) o[`${dir}/${n}`] = outcome(() => lstatSync(join(m, dir, n)));
      }
      return o;
    },
  });
  t.same(f.observed, k.observed, 'listings and lstat');
  t.same((k.observed as { D: string[] }).D, ['a', 'z'], 'the kernel lists z under a bottom-layer marker');
});
