// A listing read right after a copy-up in its dir, next to kernel overlayfs. ovl-fuse drops the
// kernel's cached listing of the parent at every copy-up (the upper dir's new ctime makes the next
// readdir stamp its atime, which only a listing the daemon reads does), and holds the reply for
// that drop where the copy-up changed the listing: the parent became impure with an upper entry
// listed (its d_ino turns from the real inode to st_ino), the copied object's st_ino changed (a
// lower hard link gets no origin), or its name moved (one the lowest layer lacks). Each dir is
// listed before the change, so a listing served from the kernel's dir cache by mistake would
// show the old d_ino or order. A dir's own copy-up lists the same names from the same lower.
import { chmodSync, linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { listDirents, setXattr } from '../../src/sys/index.js';
import { join } from 'node:path';
import t from 'tap';
import { dInoKinds } from '../helpers/d-ino.js';
import { runTwin } from '../helpers/twin.js';

/** The names of `dir` in getdents order (readdirSync sorts them). */
function inOrder(dir: string): string[] {
  return listDirents(dir).map((e) => e.name).filter((n) => n !== '.' && n !== '..');
}

t.test('a listing after a copy-up shows what the kernel shows', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 1,
    setup(d) {
      const [l] = d.lowers as [string];
      // lower only: its upper copy is empty when the first copy-up makes it impure
      mkdirSync(join(l, 'a'));
      writeFileSync(join(l, 'a', 'f'), 'x');
      writeFileSync(join(l, 'a', 'g'), 'x');
      // merged, its upper copy empty: the kernel keeps its cached listing through the copy-up
      mkdirSync(join(l, 'c'));
      writeFileSync(join(l, 'c', 'f'), 'x');
      writeFileSync(join(l, 'c', 'g'), 'x');
      mkdirSync(join(d.upper, 'c'));
      // merged, with upper entries listed while it is pure: a subdir that merges and lacks an
      // origin (its d_ino is the upper's real inode until the dir is impure) and a pure file
      mkdirSync(join(l, 'b'));
      mkdirSync(join(l, 'b', 's'));
      writeFileSync(join(l, 'b', 'f'), 'x');
      writeFileSync(join(l, 'b', 'g'), 'x');
      mkdirSync(join(d.upper, 'b'));
      mkdirSync(join(d.upper, 'b', 's'));
      writeFileSync(join(d.upper, 'b', 'u'), 'x');
      // lower only, copied up itself: its own listing (a subdir, a file, an xattr whiteout the
      // lower does not mark) reads the same after
      mkdirSync(join(l, 'o'));
      mkdirSync(join(l, 'o', 's'));
      writeFileSync(join(l, 'o', 'f'), 'x');
      writeFileSync(join(l, 'o', 'w'), '');
      setXattr(join(l, 'o', 'w'), 'trusted.overlay.whiteout', '');
      // lower hard links: a copy-up gives the name its own inode (index off: no origin)
      mkdirSync(join(l, 'h'));
      mkdirSync(join(d.upper, 'h'));
      writeFileSync(join(l, 'h', 'f'), 'x');
      linkSync(join(l, 'h', 'f'), join(l, 'h', 'g'));
    },
    steps(m, d) {
      const out: Record<string, unknown> = {};
      for (const dir of ['a', 'c', 'b', 'h']) {
        out[`${dir} before`] = dInoKinds(m, d, dir);
        chmodSync(join(m, dir, 'f'), 0o600);
        out[`${dir} after the first copy-up`] = dInoKinds(m, d, dir);
        chmodSync(join(m, dir, 'g'), 0o600);
        out[`${dir} after another`] = dInoKinds(m, d, dir);
      }
      out['o before'] = inOrder(join(m, 'o')).sort();
      out['o d_ino before'] = dInoKinds(m, d, 'o');
      chmodSync(join(m, 'o'), 0o700);
      out['o after its copy-up'] = inOrder(join(m, 'o')).sort();
      out['o d_ino after its copy-up'] = dInoKinds(m, d, 'o');
      return out;
    },
  });
  const seen = k.observed as Record<string, Record<string, string>>;
  t.same(f.observed, k.observed, 'every listing');
  t.equal(seen['h after the first copy-up']!.f, 'st_ino', 'a copied-up lower hard link is listed by its new inode');
  t.equal(seen['h after another']!.g, 'st_ino', 'also in a dir that was impure already');
  t.same(f.tree, k.tree, 'merged tree');
  t.equal(seen['b before']!.s, 'upper real inode', 'the kernel shows a pure dir\'s merged subdir by its real inode');
  t.equal(seen['b after the first copy-up']!.s, 'st_ino', 'and by its st_ino once the dir is impure');
});

t.test('a name the lowest layer lacks moves up the listing when copied up, also in an impure dir', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 2,
    setup(d) {
      const [top, lowest] = d.lowers as [string, string];
      for (const l of [top, lowest]) mkdirSync(join(l, 'm'));
      for (const n of ['p', 'q', 's']) writeFileSync(join(top, 'm', n), n);
      writeFileSync(join(lowest, 'm', 'r'), 'r');
      writeFileSync(join(lowest, 'm', 's'), 's');
      // the root: a dir only the top lower holds, over an empty lowest (ovl-check remount, seed 212)
      mkdirSync(join(top, 'b'));
      writeFileSync(join(top, 'd'), '');
    },
    steps(m) {
      const out: Record<string, unknown> = {};
      out['m before'] = inOrder(join(m, 'm'));
      for (const n of ['s', 'p', 'q']) {
        chmodSync(join(m, 'm', n), 0o600);
        out[`m after ${n}`] = inOrder(join(m, 'm'));
      }
      out['root before'] = inOrder(m);
      writeFileSync(join(m, 'b', 'a'), '');
      out['root after'] = inOrder(m);
      return out;
    },
  });
  t.same(f.observed, k.observed, 'every listing, in order');
  t.same(f.tree, k.tree, 'merged tree');
  const seen = k.observed as Record<string, string[]>;
  t.not(seen['m after p']!.join(), seen['m before']!.join(), 'the kernel lists a copied-up name elsewhere');
});
