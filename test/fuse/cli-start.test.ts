// ovl-fuse's start as a user sees it when something is wrong: the detached command reports what
// `-f` reports (same exit code, same one line), and workdir set-up problems the kernel's overlay
// copes with are no internal errors.
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { isMounted } from '../../src/sys/index.js';
import { ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const run = (args: string[]) => execa(ovlFuseBin, args, { reject: false, env: { CI: '' } });

t.test('a control character in a bad path: detached and -f give the same exit and one line', async (t) => {
  const d = layerDirs(t, 1);
  const opts = `lowerdir=${join(d.root, 'nl\nmissing')}:${d.lowers[0]}`;
  const fg = await run(['-f', '-o', opts, d.merged]);
  const bg = await run(['-o', opts, d.merged]);
  t.equal(fg.exitCode, 2, fg.stderr);
  t.equal(fg.stderr, `ovl-fuse: lowerdir ${d.root}/nl\\nmissing: no such directory`);
  t.same([bg.exitCode, bg.stderr], [fg.exitCode, fg.stderr], 'detached as -f');
  const viaNode = await execa(process.execPath, [ovlFuseBin, '-o', opts, d.merged], { reject: false });
  t.same([viaNode.exitCode, viaNode.stderr], [fg.exitCode, fg.stderr], 'detached by node as -f');
  t.notOk(isMounted(d.merged));
});
