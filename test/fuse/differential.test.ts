// Random operation sequences (fixed seeds, replayable with SEEDS=1,2,3) run on kernel overlayfs
// and on ovl-fuse: every outcome (ok or errno) and the final tree must match, and the kernel must
// read the upper ovl-fuse wrote as ovl-fuse showed it. A small cousin of ovl-check, kept here as
// ovl-fuse's own regression net (it found rename's EXDEV-before-ENOTEMPTY order).
import { appendFileSync, chmodSync, linkSync, mkdirSync, renameSync, rmdirSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setXattr } from '../../src/sys/index.js';
import { dumpTree, outcome } from '../helpers/tree.js';
import { remountAs, runTwin } from '../helpers/twin.js';

const NAMES = ['a', 'b', 'd', 'd/x', 'd/y', 'e', 'e/z', 'e/d', 'f', 'fl', 'g'];
const KINDS = ['write', 'append', 'unlink', 'mkdir', 'rmdir', 'rename', 'link', 'symlink', 'chmod', 'truncate', 'xattr'] as const;
type Kind = (typeof KINDS)[number];

function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

function apply(kind: Kind, m: string, p: string, q: string, i: number): void {
  const at = (x: string) => join(m, x);
  const run: Record<Kind, () => void> = {
    write: () => writeFileSync(at(p), `w${i}`),
    append: () => appendFileSync(at(p), `+${i}`),
    unlink: () => unlinkSync(at(p)),
    mkdir: () => mkdirSync(at(p)),
    rmdir: () => rmdirSync(at(p)),
    rename: () => renameSync(at(p), at(q)),
    link: () => linkSync(at(p), at(q)),
    symlink: () => symlinkSync(`t${i}`, at(p)),
    chmod: () => chmodSync(at(p), 0o700 + (i % 8)),
    truncate: () => truncateSync(at(p), i % 5),
    xattr: () => setXattr(at(p), 'user.k', `v${i}`),
  };
  run[kind]();
}

/** A replayable sequence: [label, kind, p, q]. */
function sequence(seed: number, n: number): Array<[string, Kind, string, string]> {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const [kind, p, q] = [pick(KINDS), pick(NAMES), pick(NAMES)];
    return [`${i} ${kind} ${p} ${q}`, kind, p, q];
  });
}

const seeds = (process.env.SEEDS ?? '1,2,3,4,5,6').split(',').map(Number);
for (const options of [undefined, 'redirect_dir=on']) {
  for (const seed of seeds) {
    await t.test(`seed ${seed}${options ? ` ${options}` : ''}`, async (t) => {
      const seq = sequence(seed, 40);
      const [k, f] = await runTwin(t, {
        lowers: 2,
        options,
        setup(d) {
          const [l1, l2] = d.lowers as [string, string];
          writeFileSync(join(l1, 'a'), 'la');
          writeFileSync(join(l2, 'b'), 'lb');
          mkdirSync(join(l1, 'd'));
          mkdirSync(join(l2, 'd'));
          writeFileSync(join(l2, 'd', 'x'), 'x');
          mkdirSync(join(l2, 'e'));
          writeFileSync(join(l2, 'e', 'z'), 'z');
          writeFileSync(join(l1, 'f'), 'f');
          linkSync(join(l1, 'f'), join(l1, 'fl'));
        },
        steps: (m) => Object.fromEntries(seq.map(([label, kind, p, q], i) => [label, outcome(() => apply(kind, m, p, q, i))])),
        dump: { nlink: true },
      });
      t.same(f.observed, k.observed, 'outcomes');
      t.same(f.tree, k.tree, 'tree');
      await remountAs(t, 'kernel', f.dirs, options);
      t.same(dumpTree(f.dirs.merged, { nlink: true }), f.tree, 'the kernel reads the upper ovl-fuse wrote');
    });
  }
}
