// Two readers of one dir taking turns, call by call, against kernel overlayfs: each must get
// every name. The kernel's FUSE dir cache is one per dir, filled from one reader's stream; a
// reader whose position is not in it reads on from the daemon, except where that cache ends at a
// page boundary, where 6.18 answers end-of-dir. When each listing had cookies of its own, the
// second reader of a dir of 128 entries (126 names of 8 bytes, '.' and '..': 4096 bytes of cache)
// stopped after its first call. A name now keeps its cookie in every listing of the dir.
import { closeSync, mkdirSync, openSync, unlinkSync, writeFileSync, constants } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getdentsOnce } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

/** Names read by A's first call, B's first call, then each to its end, A first. */
function takingTurns(dir: string): Record<string, number> {
  const [a, b] = [0, 1].map(() => openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY)) as [number, number];
  try {
    const rest = (fd: number) => {
      let n = 0;
      for (let got = getdentsOnce(fd, 4096); got.length; got = getdentsOnce(fd, 4096)) n += got.length;
      return n;
    };
    const [a1, b1] = [getdentsOnce(a, 256).length, getdentsOnce(b, 256).length];
    const [a2, b2] = [rest(a), rest(b)];
    return { a: a1 + a2, b: b1 + b2 };
  } finally {
    closeSync(a);
    closeSync(b);
  }
}

const name = (i: number) => `f${String(i).padStart(7, '0')}`;

await sameOnBoth(t, 'two readers of a dir whose listing fills a page exactly each read all of it', {
  lowers: 1,
  setup(d) {
    for (const l of [d.lowers[0]!, d.upper]) mkdirSync(join(l, 'd'));
    // A merged dir: 100 names below, 26 above.
    for (let i = 0; i < 126; i++) writeFileSync(join(i < 100 ? d.lowers[0]! : d.upper, 'd', name(i)), '');
  },
  steps(m) {
    const dir = join(m, 'd');
    const out: Record<string, unknown> = { first: takingTurns(dir), again: takingTurns(dir) };
    // A change in between: the next listing starts a new cache.
    writeFileSync(join(dir, 'zz'), '');
    unlinkSync(join(dir, 'zz'));
    out.afterChange = takingTurns(dir);
    return out;
  },
});
