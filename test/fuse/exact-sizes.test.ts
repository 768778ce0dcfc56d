// Sizes and offsets above 2^53 through ovl-fuse (default transport) and kernel overlayfs on equal
// layers: truncate/ftruncate, pwrite/pread, SEEK_DATA/SEEK_HOLE, fallocate, copy_file_range and
// stat, up to 2^63 - 1. On a tmpfs upper (whose limit, like FUSE's, is 2^63 - 1) every step
// succeeds with the same values; on an ext4 upper (16 TiB) every step fails with the same errno.
// The client side goes through src/sys (libc through koffi), as node:fs refuses such numbers.
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { truncateAt, truncateFd, writeAt } from '../../src/sys/offsets.js';
import * as sp from '../../src/sys/space.js';
import { mountFuse } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs, mountKernel } from '../helpers/layers.js';
import { tmpfsAt } from '../helpers/scratch-fs.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, sameOnBoth } from '../helpers/twin.js';

const B = 2n ** 53n + 1n;
const MAX = 2n ** 63n - 1n;

function setup(d: LayerDirs): void {
  const [l] = d.lowers as [string];
  writeFileSync(join(l, 'f'), 'hi\n');
  writeFileSync(join(l, 'g'), 'lo\n');
}

function steps(m: string): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const step = (label: string, fn: () => unknown) => {
    let value: unknown;
    o[label] = outcome(() => (value = fn()));
    if (value !== undefined) o[`${label} =`] = String(value);
  };
  const size = (p: string) => statSync(join(m, p), { bigint: true }).size;
  step('truncate 2^53+1', () => truncateAt(join(m, 'f'), B));
  step('stat', () => size('f'));
  const fd = openSync(join(m, 'f'), 'r+');
  const g = openSync(join(m, 'g'), 'r+');
  try {
    step('ftruncate 2^53+3', () => truncateFd(fd, B + 2n));
    step('pwrite below 2^53', () => writeAt(fd, Buffer.from('xy'), B - 6n));
    step('pwrite above 2^53', () => writeAt(fd, Buffer.from('zw'), B + 1n));
    step('pread across 2^53', () => {
      const b = Buffer.alloc(8);
      return b.subarray(0, readSync(fd, b, 0, 8, B - 6n)).toString('hex');
    });
    step('SEEK_DATA', () => sp.seek(fd, B - 9n, sp.SEEK_DATA));
    step('SEEK_HOLE', () => sp.seek(fd, B - 9n, sp.SEEK_HOLE));
    step('SEEK_DATA from 4096', () => sp.seek(fd, 4096, sp.SEEK_DATA));
    step('fallocate past the end', () => sp.fallocate(fd, 0, B + 7n, 3));
    step('punch hole', () => sp.fallocate(fd, sp.FALLOC_FL_PUNCH_HOLE | sp.FALLOC_FL_KEEP_SIZE, B - 6n, 1));
    step('stat after', () => size('f'));
    step('copy_file_range', () => sp.copyRange(fd, B - 6n, g, B + 99n, 4));
    step('stat g', () => size('g'));
    step('pread g', () => {
      const b = Buffer.alloc(4);
      return b.subarray(0, readSync(g, b, 0, 4, B + 99n)).toString('hex');
    });
    step('ftruncate 2^63-1', () => truncateFd(fd, MAX));
    step('pwrite at 2^63-2', () => writeAt(fd, Buffer.from('q'), MAX - 1n));
    step('pwrite past 2^63-1', () => writeAt(fd, Buffer.from('qq'), MAX - 1n));
    step('stat last', () => size('f'));
  } finally {
    closeSync(fd);
    closeSync(g);
  }
  return o;
}

/** Layers with upper and work on a private tmpfs (nosuid, mode 0755, as mountTmpfs makes it), gone with the tree in teardown. */
function tmpfsUpperDirs(t: Test, prefix: string): LayerDirs {
  const d = layerDirs(t, 1, prefix);
  const fs = tmpfsAt(d, join(d.root, 'tmpfs'), 'size=16m,mode=0755,nosuid');
  d.upper = join(fs, 'upper');
  d.work = join(fs, 'work');
  mkdirSync(d.upper);
  mkdirSync(d.work);
  return d;
}

t.test('tmpfs upper: every size and offset up to 2^63 - 1 as the kernel overlay has it', async (t) => {
  const seen: Record<string, unknown>[] = [];
  for (const target of ['kernel', 'fuse'] as const) {
    const d = tmpfsUpperDirs(t, `ovlkit-${target}-`);
    setup(d);
    if (target === 'kernel') mountKernel(d);
    else await mountFuse(t, d);
    seen.push(steps(d.merged));
  }
  const [k, f] = seen;
  t.same(f, k, 'observations');
  // The kernel's answers, so a change of both sides cannot pass unseen.
  t.equal(k!['truncate 2^53+1'], 'ok');
  t.equal(k!['stat last ='], String(MAX));
});

const ext4: Scenario = { lowers: 1, setup, steps };
t.test('ext4 upper: the same errno (EFBIG) as the kernel overlay', (t) => sameOnBoth(t, 'ext4', ext4));
