// statx(2) through ovl-fuse (FUSE_STATX on the /dev/fuse transport) next to kernel overlayfs on the
// very same layer dirs: the birth time is the real object's (a lower file's own, a copy-up's the
// moment of the copy-up, a merged dir's its upper dir's), and the mask says so, also for an open
// file whose name is gone.
// What the kernel's FUSE client itself drops from a FUSE_STATX answer
// (STATX_DIOALIGN, attributes_mask: fs/fuse/dir.c fuse_do_statx keeps basic stats and btime) is
// not compared; the attribute bits that are set are.
import { appendFileSync, closeSync, mkdirSync, openSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { STATX_BASIC_STATS, STATX_BTIME, statxOf, statxOfFd } from '../../src/sys/index.js';
import { layerDirs, mountKernel } from '../helpers/layers.js';
import { remountAs } from '../helpers/twin.js';

const NAMES = ['lf', 'uf', 'kcopy', 'fcopy', 'ld', 'md', '.'];

function observe(m: string): Record<string, unknown> {
  const seen: Record<string, unknown> = {};
  for (const name of NAMES) {
    const s = statxOf(join(m, name));
    seen[name] = { mask: s.mask & (STATX_BASIC_STATS | STATX_BTIME), btime: s.btimeNs?.toString(), attributes: s.attributes.toString() };
  }
  return seen;
}

const btime = (p: string) => statxOf(p).btimeNs?.toString();

t.test('statx birth time, mask and attributes as on kernel overlayfs', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-statx-');
  const [l] = d.lowers as [string];
  for (const f of ['lf', 'kcopy', 'fcopy']) writeFileSync(join(l, f), f);
  mkdirSync(join(l, 'ld'));
  mkdirSync(join(l, 'md'));
  mkdirSync(join(d.upper, 'md'));
  writeFileSync(join(d.upper, 'uf'), 'u');

  mountKernel(d);
  appendFileSync(join(d.merged, 'kcopy'), '+');
  const kernel = observe(d.merged);
  await remountAs(t, 'fuse', d);
  const fuse = observe(d.merged);
  t.same(fuse, kernel, 'lower, upper, copied-up file and dirs: the same statx through both');
  t.equal((fuse.lf as { mask: number }).mask, STATX_BASIC_STATS | STATX_BTIME, 'btime given (layers on a fs with birth times)');

  // A copy-up by ovl-fuse gets the upper file's birth time, as the kernel shows it afterwards.
  appendFileSync(join(d.merged, 'fcopy'), '+');
  const copied = observe(d.merged).fcopy as { btime: string };
  t.equal(copied.btime, btime(join(d.upper, 'fcopy')), 'the copy-up’s own btime');
  t.not(copied.btime, btime(join(l, 'fcopy')), 'not the lower file’s');
  await remountAs(t, 'kernel', d);
  t.same(observe(d.merged), { ...kernel, fcopy: copied }, 'the kernel agrees after the fuse copy-up');
});

t.test('statx of an open file whose name is gone: the real file’s birth time', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-statx-');
  writeFileSync(join(d.upper, 'gone'), 'g');
  const born = btime(join(d.upper, 'gone'));
  for (const target of ['kernel', 'fuse'] as const) {
    if (target === 'kernel') mountKernel(d);
    else await remountAs(t, 'fuse', d);
    if (target === 'fuse') writeFileSync(join(d.upper, 'gone'), 'g');
    const expected = btime(join(d.upper, 'gone'));
    const fd = openSync(join(d.merged, 'gone'), 'r');
    try {
      unlinkSync(join(d.merged, 'gone'));
      t.equal(statxOfFd(fd, 'gone').btimeNs?.toString(), expected, `${target}: btime after unlink`);
    } finally {
      closeSync(fd);
    }
  }
  t.ok(born, 'the layer fs has birth times');
});
