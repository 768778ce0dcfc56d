// The overlay the session worker serves, except that the listing of a dir holding `fail-here`
// fails with EIO after its first other entry went into the reply: a READDIRPLUS that fails after
// its reply noted a node id (test/fuse/node-counts.test.ts).
import { OvlError } from '../../src/errors.js';
import { type OverlayFs, createOverlayFs } from '../../src/fuse/lowlevel.js';
import type { DirEntry } from '../../src/fuse/session/filesystem.js';

export function createFailingListingFs(...args: Parameters<typeof createOverlayFs>): OverlayFs {
  const fs = createOverlayFs(...args);
  const readdir = fs.readdir.bind(fs);
  fs.readdir = (...r: Parameters<OverlayFs['readdir']>): Iterable<DirEntry> => {
    const entries = [...readdir(...r)];
    if (!entries.some((e) => e.name === 'fail-here')) return entries;
    const first = entries.find((e) => e.name !== '.' && e.name !== '..' && e.name !== 'fail-here')!;
    return (function* () {
      yield first;
      throw new OvlError('EIO', 'listing failed');
    })();
  };
  return fs;
}
