// The link count an open fd sees right after link(2) returns. The kernel takes the new name's
// attributes from the LINK reply; every other name of the inode (an O_TMPFILE's, the source's)
// learns of the new count only from the daemon's invalidation. Handed to the notifying thread, that
// invalidation raced the client's next fstat and lost about half the time under load (141 of 300
// O_TMPFILE rounds read nlink 1 after two links); it is now written before the reply.
import { closeSync, constants, fstatSync, linkSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import * as sp from '../../src/sys/space.js';
import { sameOnBoth } from '../helpers/twin.js';

const ROUNDS = 150;

await sameOnBoth(t, 'fstat of an O_TMPFILE fd right after each of two links', {
  lowers: 1,
  fuseOptions: 'transport=dev',
  setup: (d) => mkdirSync(join(d.lowers[0]!, 'ld')),
  steps: (m) => {
    const counts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const fd = openSync(join(m, 'ld'), sp.O_TMPFILE | constants.O_RDWR, 0o640);
      try {
        writeSync(fd, 'x');
        fstatSync(fd);
        sp.linkFd(fd, join(m, 'ld', `a${i}`));
        counts.push(fstatSync(fd).nlink);
        sp.linkFd(fd, join(m, 'ld', `b${i}`));
        counts.push(fstatSync(fd).nlink);
      } finally {
        closeSync(fd);
      }
    }
    return { 'nlink after each link, all rounds': [...new Set(counts)] };
  },
});

await sameOnBoth(t, 'fstat of an fd on the source right after link(2) of a lower and an upper file', {
  lowers: 1,
  fuseOptions: 'transport=dev',
  setup: (d) => {
    for (let i = 0; i < ROUNDS; i++) writeFileSync(join(d.lowers[0]!, `l${i}`), 'l');
    for (let i = 0; i < ROUNDS; i++) writeFileSync(join(d.upper, `u${i}`), 'u');
  },
  steps: (m) => {
    const counts: number[] = [];
    for (const p of ['l', 'u']) {
      for (let i = 0; i < ROUNDS; i++) {
        const fd = openSync(join(m, `${p}${i}`), 'r');
        try {
          fstatSync(fd);
          linkSync(join(m, `${p}${i}`), join(m, `${p}${i}-2`));
          counts.push(fstatSync(fd).nlink);
        } finally {
          closeSync(fd);
        }
      }
    }
    return { 'nlink of the source fd after link, all rounds': [...new Set(counts)] };
  },
});
