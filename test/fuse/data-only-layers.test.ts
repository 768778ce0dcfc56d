// Data-only lower layers (`lowerdir=L1::D1`, `lowerdir+=L1,datadir+=D1`) through ovl-fuse next to
// kernel overlayfs (test/helpers/side-by-side.ts): never merged, reached only by a metacopy file's
// absolute redirect; what a chmod and a write of such a file leave; a data file that is missing.
import { appendFileSync, chmodSync, lstatSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { LayerDirs } from '../helpers/layers.js';
import { mountWith } from '../helpers/mount-target.js';
import {
  type Case, type DataForm, SIZE, attempt, dataLayerOptions, dataOf, describe, done, listing, metacopyStub, nameObs, observeName, observeNames, onEach,
  sameAsKernel,
} from '../helpers/side-by-side.js';

/** L1 holds metacopy files only; their data, and a name of its own, are in the data-only layer. */
function fillDataLayers(d: LayerDirs): void {
  const [l1, data] = d.lowers as [string, string];
  mkdirSync(join(data, 'data'));
  writeFileSync(join(data, 'data/file'), dataOf('file'));
  writeFileSync(join(data, 'byname'), dataOf('byname'));
  writeFileSync(join(data, 'only'), 'only in the data layer');
  metacopyStub(join(l1, 'file'), '/data/file');
  // Its data in the data-only layer under its own name but no redirect: the kernel does not look there.
  metacopyStub(join(l1, 'byname'));
  // Its redirect leads nowhere: the kernel's lookup of data-only layers waits for the first open.
  metacopyStub(join(l1, 'missing'), '/data/missing');
  // Data with holes (4 KiB of SIZE written): st_blocks before the first open is the kernel's guess
  // from the size (it has not looked the data up yet), the data's own after.
  writeFileSync(join(data, 'data/holey'), 'h'.repeat(4096));
  truncateSync(join(data, 'data/holey'), SIZE);
  metacopyStub(join(l1, 'holey'), '/data/holey');
  // Written after a chmod: the data copy-up reads the data layer's file.
  writeFileSync(join(data, 'data/grow'), dataOf('grow'));
  metacopyStub(join(l1, 'grow'), '/data/grow');
}

interface DataSeen {
  before: ReturnType<typeof observeNames> & { root: ReturnType<typeof listing> };
  chmod: ReturnType<typeof done>;
  after: ReturnType<typeof observeName>;
  remounted: ReturnType<typeof observeName>;
  missing: { stat: ReturnType<typeof attempt>; open: ReturnType<typeof done> };
  holeyBlocks: { beforeOpen: ReturnType<typeof attempt>; afterOpen: ReturnType<typeof attempt> };
  grow: { chmod: ReturnType<typeof done>; append: ReturnType<typeof done>; data: ReturnType<typeof attempt> };
}

const dataLayerCase = (form: DataForm): Case<DataSeen> => ({
  lowers: 2,
  fill: fillDataLayers,
  mount: mountWith((d) => dataLayerOptions(d, form)),
  async run(d, remount) {
    const m = (n: string) => join(d.merged, n);
    const blocks = (n: string) => attempt(() => lstatSync(m(n)).blocks);
    const holeyBlocks = { beforeOpen: blocks('holey'), afterOpen: null as ReturnType<typeof attempt> };
    const missing = { stat: attempt(() => lstatSync(m('missing')).size), open: done(() => readFileSync(m('missing'))) };
    const before = { ...observeNames(d, ['file', 'byname', 'only', 'data', 'holey'], []), root: listing(d.merged) };
    holeyBlocks.afterOpen = blocks('holey');
    // A metadata op on it: the upper's copy must still find the data in the data layer.
    const chmod = done(() => chmodSync(m('file'), 0o600));
    const after = observeName(m('file'));
    const grow = { chmod: done(() => chmodSync(m('grow'), 0o600)), append: done(() => appendFileSync(m('grow'), 'x')), data: attempt(() => describe(readFileSync(m('grow')))) };
    // Looked up afresh: upper (metacopy, origin) -> L1 (metacopy, redirect) -> the data layer.
    await remount();
    return { before, chmod, after, remounted: observeName(m('file')), missing, holeyBlocks, grow };
  },
});

t.test('data-only lower layers: a metacopy file with an absolute redirect reads its data from the data layer', async (t) => {
  for (const form of ['::', 'datadir+='] as const) {
    await t.test(`given as ${form}`, async (t) => {
      const runs = await onEach(t, 'datalayer', dataLayerCase(form), 'ovlkit-datalayer');
      sameAsKernel(t, runs);
      const k = runs.kernel;
      if (!k) return;
      const seen = k.seen;
      t.equal(nameObs(seen.before, 'file').data, describe(dataOf('file')), 'the data layer’s file read through the redirect');
      t.same(nameObs(seen.before, 'only').stat, { error: 'ENOENT' }, 'a name only in the data layer is not visible');
      t.same(seen.before.root, ['byname', 'file', 'grow', 'holey', 'missing'], 'nor listed');
      t.same(seen.missing, { stat: SIZE, open: { error: 'ENOENT' } }, 'a redirect to no data file: stat works, open is ENOENT');
      t.same(seen.holeyBlocks, { beforeOpen: 40, afterOpen: 8 }, 'st_blocks guessed from the size until the first open, then the data’s');
      t.same(seen.grow, { chmod: 'ok', append: 'ok', data: describe(Buffer.concat([dataOf('grow'), Buffer.from('x')])) }, 'a write copies the data layer’s data up');
      t.match(k.upper.grow, { metacopy: null, sparse: false }, 'and leaves a full copy');
      t.same(nameObs(seen.before, 'byname').stat, { error: 'EIO' }, 'metacopy without a redirect: no data found (EIO)');
      t.equal(seen.after.data, describe(dataOf('file')), 'after a chmod, still the data layer’s data');
      t.same(seen.remounted, seen.after, 'and after a remount');
      // No redirect of its own: its origin is L1's file, whose redirect leads on to the data layer.
      t.match(k.upper.file, { metacopy: '', redirect: null, origin: true, sparse: true }, 'the upper copy: metacopy and origin');
    });
  }
});
