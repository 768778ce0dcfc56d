// A fallocate(2) that fails ENOSPC may still have grown the file: ext4 keeps what it allocated
// before it ran out. The kernel's FUSE client updates its size only when the call succeeds, so
// ovl-fuse showed the old size (fstat and stat) until the attributes expired, where the kernel's
// overlay shows the upper file's (a review, 2026-12-07). The daemon now drops the attributes when
// a FALLOCATE fails.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fallocate } from '../../src/sys/space.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { upperOnExt4 } from '../helpers/scratch-fs.js';

t.test('a fallocate that fails ENOSPC after growing the file: the size shown is the file\'s', async (t) => {
  const d = layerDirs(t, 1);
  upperOnExt4(d, '16M');
  await mountFuse(t, d);
  const f = join(d.merged, 'w');
  let fd = openSync(f, constants.O_CREAT | constants.O_WRONLY, 0o644);
  const chunk = Buffer.alloc(65536, 0x7a);
  let n = 0;
  try {
    for (;;) n += writeSync(fd, chunk);
  } catch (err) {
    t.equal((err as { code?: string }).code, 'ENOSPC', `filled the upper (${n} bytes)`);
  }
  fsyncSync(fd);
  closeSync(fd);
  fd = openSync(f, constants.O_WRONLY); // O_RDWR would pass through with no attribute timeout at all
  t.teardown(() => closeSync(fd));
  t.throws(() => fallocate(fd, 0, 0, n + (1 << 20)), { code: 'ENOSPC' }, 'fallocate past the end: ENOSPC');
  const real = lstatSync(join(d.upper, 'w')).size;
  // stat(2) without the birth time, as most programs ask: node's statx asks for it, which the
  // kernel's FUSE client never caches, so it always asks the daemon and would see the new size.
  const plainStat = (p: string) => Number(execFileSync('/usr/bin/python3', ['-c', 'import os, sys; print(os.stat(sys.argv[1]).st_size)', p], { encoding: 'utf8' }));
  t.equal(plainStat(f), real, `stat: the upper file's size (${real}; ${n} written)`);
  t.equal(fstatSync(fd).size, real, 'statx of the fd: the same');
});
