// A lower file with two names (a hard link in the layer): copying up and changing one name leaves
// the other name, and an fd opened on it before, reading the lower data. With index off each name
// is its own overlay inode (ovl_hash_bylower), its copy-up a new upper file. ovl-fuse switched every
// read-only fd on the lower inode to the copy, so the other name's fd, and then the other name
// itself (through the page cache those reads filled), showed the change (found by ovl-check:
// observe, seed 72). Kernel overlayfs and ovl-fuse side by side, both transports.
import { closeSync, linkSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { sameOnBoth } from '../helpers/twin.js';

for (const fuseOptions of ['', 'transport=fuse-native']) {
  await sameOnBoth(t, `a lower hard link's other name keeps the lower data after one name's copy-up${fuseOptions ? ` (${fuseOptions})` : ''}`, {
    lowers: 1,
    fuseOptions,
    setup(d) {
      writeFileSync(join(d.lowers[0]!, 'a'), 'lower data\n');
      linkSync(join(d.lowers[0]!, 'a'), join(d.lowers[0]!, 'e'));
    },
    steps(m) {
      const fd = openSync(join(m, 'a'), 'r');
      const held = Buffer.alloc(32);
      const o: Record<string, unknown> = {};
      try {
        o['a before'] = readSync(fd, held, 0, 32, 0) && held.toString('utf8', 0, 11);
        writeFileSync(join(m, 'e'), 'CHANGED through e\n', { flag: 'r+' });
        const n = readSync(fd, held, 0, 32, 0);
        o['fd on a after'] = held.toString('utf8', 0, n);
      } finally {
        closeSync(fd);
      }
      o['a after'] = readFileSync(join(m, 'a'), 'utf8');
      o['e after'] = readFileSync(join(m, 'e'), 'utf8');
      return o;
    },
  });
}
