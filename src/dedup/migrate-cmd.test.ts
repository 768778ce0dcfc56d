// migrate's summary speaks analyze's units ('4.4 MB', one decimal) and its plain right-aligned table, not
// docker's '4.375MB' in a box: one number style across ovl-dedup's commands.
import t from 'tap';
import { renderMigrate } from './migrate-cmd.js';

const counts = (inodes: number, diskBytes: number) => ({ entries: inodes, inodes, regularBytes: diskBytes, diskBytes, maxLinks: 1 });

t.test('migrate prints sizes as analyze does', async (t) => {
  const out = renderMigrate({
    plan: null, dryRun: false, resumedCommit: false, written: [], verified: { images: 2, entries: 40 },
    before: { imageLayers: counts(1_500, 4_375_000), containerLayers: counts(55, 122_900) },
    after: { imageLayers: counts(600, 5_300_000), containerLayers: counts(55, 230_000) },
    added: { inodes: 700, bytes: 118_800 }, removedLegacy: false,
  });
  t.match(out, /new on disk \(measured\): 700 inodes, 118\.8 kB \(118800 bytes\)/);
  t.match(out, /^legacy overlay \(before\)\s+1,555\s+4\.5 MB\s+4497900$/m);
  t.match(out, /^overlay2 \(after\)\s+655\s+5\.5 MB\s+5530000$/m);
  t.notMatch(out, /[│┌]|\d(kB|MB)/, 'no box, no unit glued to its number');
});
