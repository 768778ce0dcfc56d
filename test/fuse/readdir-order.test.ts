// Listing order through ovl-fuse against kernel overlayfs: names in getdents order (not sorted),
// for a merged dir of three lowers and an upper, an upper-only dir, and a listing read in many
// small getdents calls (offsets must stay stable across the calls).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { listDirents, makeWhiteout } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

const order = (p: string, bufSize?: number) => listDirents(p, bufSize).map((e) => e.name);

await sameOnBoth(t, 'merged and one-layer dirs list in the kernel\'s order', {
  lowers: 3,
  setup(d) {
    const [l1, l2, l3] = d.lowers as [string, string, string];
    for (const l of [...d.lowers, d.upper]) mkdirSync(join(l, 'd'));
    for (const [dir, names] of [
      [l3, ['alpha', 'mid', 'zeta']],
      [l2, ['mid', 'beta', 'x']],
      [d.upper, ['beta', 'omega', 'zeta']],
      [l1, ['gamma', 'delta']],
    ] as const) {
      for (const n of names) writeFileSync(join(dir, 'd', n), n);
    }
    makeWhiteout(join(d.upper, 'd', 'x'));
    mkdirSync(join(d.upper, 'own'));
    for (const n of ['c', 'a', 'b', 'e']) writeFileSync(join(d.upper, 'own', n), n);
    mkdirSync(join(l2, 'low'));
    for (const n of ['q', 'p', 'r']) writeFileSync(join(l2, 'low', n), n);
  },
  steps(m) {
    mkdirSync(join(m, 'own', 'new'));
    writeFileSync(join(m, 'd', 'later'), '');
    const many = join(m, 'many');
    mkdirSync(many);
    for (let i = 0; i < 200; i++) writeFileSync(join(many, `n${(i * 37) % 200}`), '');
    return {
      merged: order(join(m, 'd')),
      upperOnly: order(join(m, 'own')),
      lowerOnly: order(join(m, 'low')),
      // 200 entries through a 512-byte buffer: about 20 getdents calls, each resuming at an offset.
      smallReads: order(many, 512),
      oneRead: order(many),
    };
  },
});
