// When ovl-fuse writes `origin` and `impure`, and what d_ino a merged listing shows, next to kernel
// overlayfs (three differences `ovl-check run --target fuse` found). link(2) marks the new parent
// impure only when the linked file has an origin (ovl_link → ovl_type_origin), whether or not that
// parent merges with a lower; a lower hard link, which copy-up breaks, does not count (nor for rename). A merged subdir whose upper lacks an origin gets one (and its parent
// becomes impure) when it is looked up (ovl_fix_origin), which a listing does not do while its
// upper dir is pure; so its d_ino is the upper's real inode until then, and its st_ino (the lower
// dir's inode) once the dir is impure.
import { linkSync, lstatSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OverlayXattrs } from '../../src/format/index.js';
import { encodeOrigin } from '../../src/fuse/inode.js';
import { fileHandle, fsUuid } from '../../src/sys/handle.js';
import { getXattr, setXattr } from '../../src/sys/index.js';
import type { LayerDirs } from '../helpers/layers.js';
import { dInoKinds } from '../helpers/d-ino.js';
import { runTwin } from '../helpers/twin.js';

const OVL = new OverlayXattrs(false);

/** Which of the origin/impure marks the upper holds at `rels` (handles differ per copy: presence only). */
function marks(d: LayerDirs, rels: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rel of rels) {
    const p = join(d.upper, rel);
    out[rel] = ['origin', 'impure'].filter((x) => getXattr(p, `trusted.overlay.${x}`) !== null);
  }
  return out;
}

t.test('link marks the new parent impure only when the linked file has an origin', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 1,
    setup(d) {
      const [l] = d.lowers as [string];
      writeFileSync(join(d.upper, 'a'), '');
      mkdirSync(join(l, 'm'));
      mkdirSync(join(d.upper, 'm'));
      mkdirSync(join(d.upper, 'p'));
      writeFileSync(join(l, 'low'), 'x');
      mkdirSync(join(l, 'h'));
      writeFileSync(join(l, 'h', 'f'), 'x');
      linkSync(join(l, 'h', 'f'), join(l, 'h', 'g'));
      mkdirSync(join(d.upper, 'q'));
      mkdirSync(join(d.upper, 'r'));
    },
    steps(m, d) {
      linkSync(join(m, 'a'), join(m, 'd'));
      const pureUpper = marks(d, ['.', 'a', 'd']);
      linkSync(join(m, 'a'), join(m, 'm', 'd'));
      const intoMerged = marks(d, ['.', 'm']);
      linkSync(join(m, 'low'), join(m, 'p', 'low'));
      const fromLower = marks(d, ['.', 'p', 'low', 'p/low']);
      // A lower hard link: copy-up breaks it, and neither link nor rename marks the new parent.
      linkSync(join(m, 'h', 'f'), join(m, 'q', 'f'));
      renameSync(join(m, 'h', 'g'), join(m, 'r', 'g'));
      return { pureUpper, intoMerged, fromLower, lowerHardLink: marks(d, ['h', 'h/f', 'q', 'r']) };
    },
  });
  t.same(f.observed, k.observed, 'marks after each link');
  t.same(f.tree, k.tree, 'merged tree');
  t.same((k.observed.pureUpper as Record<string, string[]>)['.'], [], 'the kernel leaves the root pure');
  t.same((k.observed.fromLower as Record<string, string[]>).p, ['impure'], 'and marks the parent of a copied-up link');
  const hard = k.observed.lowerHardLink as Record<string, string[]>;
  t.same([hard.q, hard.r], [[], []], 'but not the new parent of a lower hard link');
});

for (const transport of ['dev', 'fuse-native']) {
  t.test(`a listing does not fix a merged subdir origin; a lookup does, and then d_ino is st_ino (${transport})`, async (t) => {
    const [k, f] = await runTwin(t, {
      lowers: 2,
      options: 'redirect_dir=on',
      fuseOptions: `transport=${transport}`,
      setup(d) {
        const [l1] = d.lowers as [string, string];
        for (const root of [l1, d.upper]) mkdirSync(join(root, 'b'));
        writeFileSync(join(d.upper, 'u'), 'u');
        writeFileSync(join(l1, 'l'), 'l');
      },
      steps(m, d) {
        readdirSync(m);
        const afterList = marks(d, ['.', 'b']);
        const first = dInoKinds(m, d, '');
        return { afterList, first, afterLookup: marks(d, ['.', 'b']), second: dInoKinds(m, d, '') };
      },
    });
    t.same(f.observed, k.observed, 'marks and d_ino before and after the lookup');
    t.same(f.tree, k.tree, 'merged tree');
    t.same((k.observed.afterList as Record<string, string[]>)['.'], [], 'the kernel lists without writing');
    t.equal((k.observed.first as Record<string, string>).b, 'upper real inode', 'a pure dir lists the real inode');
    t.equal((k.observed.second as Record<string, string>).b, 'st_ino', 'an impure one the looked-up st_ino');
  });
}

// A kernel-source review (2026-12-08): an upper dir the kernel does not merge and that is not
// impure is read straight from the real dir (ovl_iterate → iterate_dir), so a copied-up entry in
// it (an origin, no impure on its parent: an upper edited offline) lists its upper's real inode
// as d_ino, while its st_ino is the origin's. ovl-fuse listed the st_ino.
t.test('a copy with an origin in an upper dir without impure: d_ino is its real inode', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 1,
    setup(d) {
      const l = d.lowers[0]!;
      writeFileSync(join(l, 'f'), 'lower');
      mkdirSync(join(d.upper, 'op'));
      setXattr(join(d.upper, 'op'), OVL.name('opaque'), 'y');
      writeFileSync(join(d.upper, 'op', 'f'), 'lower');
      setXattr(join(d.upper, 'op', 'f'), OVL.name('origin'), encodeOrigin(fileHandle(join(l, 'f')), fsUuid(l)));
    },
    steps(m, d) {
      return { kinds: dInoKinds(m, d, 'op'), stIsLower: lstatSync(join(m, 'op', 'f')).ino === lstatSync(join(d.lowers[0]!, 'f')).ino };
    },
  });
  t.same(f.observed, k.observed);
  t.same(k.observed, { kinds: { f: 'upper real inode' }, stIsLower: true }, 'the kernel: origin followed for st_ino, not for d_ino');
});
