// The patched fuse-native is what ovl-fuse runs on. Each check here fails on the prebuilt
// fuse-native 2.2.6 addon: its utimens passes atime twice (mtime never set, UTIME_OMIT lost) and
// it reports libfuse's own node numbers instead of st_ino / d_ino.
import { lstatSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { fuseFeatureLevel } from '../../src/sys/fuse-native.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

t.equal(fuseFeatureLevel(), 1, 'the rebuilt, patched addon is the one node loads');

t.test('mtime alone can be set, st_ino and d_ino come through', async (t) => {
  const d = layerDirs(t, 1);
  const lower = join(d.lowers[0]!, 'f');
  writeFileSync(lower, 'f');
  await mountFuse(t, d);
  const f = join(d.merged, 'f');
  const atimeBefore = lstatSync(f, { bigint: true }).atimeNs;
  execFileSync('touch', ['-m', '-d', '2005-01-02 03:04:05.123456789', f]);
  const st = lstatSync(f, { bigint: true });
  t.equal(st.mtimeNs, 1104635045123456789n, 'mtime set to the nanosecond');
  t.equal(st.atimeNs, atimeBefore, 'atime left alone (UTIME_OMIT)');
  t.equal(st.ino, lstatSync(lower, { bigint: true }).ino, 'st_ino is the lower inode');
  const entry = execFileSync('ls', ['-i', d.merged], { encoding: 'utf8' }).trim();
  t.equal(entry, `${st.ino} f`, 'd_ino agrees');
  t.same(readdirSync(d.merged), ['f']);
});
