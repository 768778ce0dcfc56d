import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { truthOf } from '../../test/helpers/ground-truth.js';
import { genLegacyRoot, timeAnalyze } from './bench.js';

t.test('a generated legacy chain is analysed to the find/du numbers', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovl-dedup-bench-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  genLegacyRoot(root, 2000, 4);
  const r = await timeAnalyze(root);
  const dirs = readdirSync(join(root, 'overlay')).map((id) => join(root, 'overlay', id, 'root'));
  const { duBytes, ...truth } = truthOf(dirs);
  const { asMultiLower, asChained, saved, breakdown, ...now } = r.report.imageLayers;
  t.same(now, truth);
  t.equal(now.diskBytes, duBytes);
  t.equal(r.entries, truth.entries);
  t.ok(truth.entries >= 2000, `${truth.entries} entries`);
  t.equal(now.maxLinks, 4, 'an untouched file is linked from all four roots');
  t.ok(asMultiLower.entries < asChained.entries / 3, 'diffs hold a fraction of the full trees');
  t.equal(saved.inodes, asChained.inodes - asMultiLower.inodes);
  t.ok(r.report.duplicates.groups.length > 0, 'pool contents repeat across layers');
  t.ok(r.entriesPerSecond > 0 && Object.values(r.phases).every((p) => p.wall >= 0 && p.cpu >= 0));
  t.equal(breakdown.inodesByType.file + breakdown.inodesByType.dir, truth.inodes, 'only files and dirs');
});
