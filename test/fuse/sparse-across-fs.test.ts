// A sparse lower file copied up into an upper on another filesystem keeps its holes, as the
// kernel's overlay keeps them there (ovl_copy_up_file: SEEK_DATA, then do_splice_direct, which
// works across filesystems). copy_file_range answers EXDEV between two filesystems, and ovl-fuse
// then copied the plain way, holes written out as zeros: a 200 MB file holding 4 KiB took 200 MB
// of the upper, and a copy-up into a small upper failed ENOSPC where the kernel's fit (a review,
// 2026-12-07).
import { closeSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { tmpfsAt } from '../helpers/scratch-fs.js';

const SIZE = 200 << 20;
const AT = 100 << 20;

t.test('a sparse lower copied up into an upper on another filesystem keeps its holes', async (t) => {
  const d = layerDirs(t, 1);
  const fd = openSync(join(d.lowers[0]!, 'sp'), 'w');
  ftruncateSync(fd, SIZE);
  writeSync(fd, 'data', AT);
  closeSync(fd);
  // Upper and workdir on a tmpfs of 64 MiB: a dense copy could not fit.
  const other = tmpfsAt(d, join(d.root, 'other'), 'size=64m');
  mkdirSync(join(other, 'u'));
  mkdirSync(join(other, 'w'));
  d.upper = join(other, 'u');
  d.work = join(other, 'w');
  await mountFuse(t, d);
  const f = openSync(join(d.merged, 'sp'), 'a');
  closeSync(f);
  const st = lstatSync(join(d.upper, 'sp'));
  t.equal(st.size, SIZE, 'copied up, its size kept');
  t.ok(st.blocks * 512 <= 2 << 20, `the holes kept: ${st.blocks * 512} bytes allocated (the kernel's 1 MiB chunks: at most 2 MiB)`);
  const back = Buffer.alloc(4);
  const r = openSync(join(d.merged, 'sp'), 'r');
  readSync(r, back, 0, 4, AT);
  closeSync(r);
  t.equal(back.toString(), 'data', 'its data where it was');
});
