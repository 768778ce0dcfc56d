// Copy-up of a sparse lower file keeps its holes as kernel overlayfs does (ovl_copy_up_file: 1 MiB
// chunks, each started where SEEK_DATA finds data when it would start in a hole, then the size
// set): the upper copy takes the same blocks on both, and the same bytes. ovl-fuse used to copy
// the holes as zeros (a 100 MiB file with two data bytes took 100 MiB of the upper, the kernel 2).
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { truncateAt } from '../../src/sys/offsets.js';
import type { LayerDirs } from '../helpers/layers.js';
import { runTwin } from '../helpers/twin.js';

const MIB = 1 << 20;

function sparse(path: string, size: number, data: Array<[number, string]>): void {
  const fd = openSync(path, 'w');
  try {
    for (const [at, text] of data) writeSync(fd, text, at);
  } finally {
    closeSync(fd);
  }
  truncateAt(path, size);
}

t.test('a sparse lower file copied up keeps the holes the kernel keeps', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 1,
    setup(d: LayerDirs) {
      const [l] = d.lowers as [string];
      sparse(join(l, 'two'), 100 * MIB, [[0, 'a'], [50 * MIB + 7, 'b']]);
      // Data across a chunk boundary, and a hole at the end.
      sparse(join(l, 'edge'), 9 * MIB, [[MIB - 2, 'xyzw'], [3 * MIB, 'q']]);
      sparse(join(l, 'holes-only'), 5 * MIB, []);
    },
    steps(m, d) {
      const out: Record<string, unknown> = {};
      for (const name of ['two', 'edge', 'holes-only']) {
        // chmod copies the file up without writing to it.
        statSync(join(m, name));
        chmodSync(join(m, name), 0o600);
        const up = statSync(join(d.upper, name));
        out[name] = { size: up.size, blocks: up.blocks, same: Buffer.compare(readFileSync(join(m, name)), readFileSync(join(d.lowers[0]!, name))) === 0 };
      }
      return out;
    },
  });
  t.same(f.observed, k.observed, 'size, blocks and bytes of each copy');
  t.same(f.tree, k.tree, 'merged tree');
  t.ok((k.observed.two as { blocks: number }).blocks < 100 * 2048 / 10, 'the kernel keeps the holes here (the test can tell)');
});
