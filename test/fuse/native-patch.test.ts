// The patched fuse-native is what ovl-fuse's previous transport (-o transport=fuse-native) runs on.
// Each check here fails on the prebuilt fuse-native 2.2.6 addon: its utimens passes atime twice
// (mtime never set, UTIME_OMIT lost), it reports libfuse's own node numbers instead of st_ino /
// d_ino, and it showed times before 1970 as dates past 2500.
import { lstatSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { fuseFeatureLevel } from '../../src/sys/fuse-native.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const NATIVE = 'transport=fuse-native';

t.equal(fuseFeatureLevel(), 2, 'the rebuilt, patched addon is the one node loads');

t.test('mtime alone can be set, st_ino and d_ino come through', async (t) => {
  const d = layerDirs(t, 1);
  const lower = join(d.lowers[0]!, 'f');
  writeFileSync(lower, 'f');
  await mountFuse(t, d, NATIVE);
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

t.test('times before 1970 show as stat(2) of the lower shows them', async (t) => {
  const d = layerDirs(t, 1);
  const lower = join(d.lowers[0]!, 'old');
  writeFileSync(lower, 'x');
  // 1969-12-31 23:59:58.75 (a negative time with a fraction: floor, not truncation) and 1901-12-13.
  // As Dates: node replaces a negative number of seconds by the current time.
  utimesSync(lower, new Date(-1250), new Date(-2147483648 * 1000));
  // And -1.0000005 s: a sub-millisecond part below 1970 (the bigint ns split of the JS side).
  writeFileSync(join(d.lowers[0]!, 'sub'), 'x');
  execFileSync('touch', ['-d', '@-1.0000005', join(d.lowers[0]!, 'sub')]);
  await mountFuse(t, d, NATIVE);
  const want = lstatSync(lower, { bigint: true });
  const got = lstatSync(join(d.merged, 'old'), { bigint: true });
  t.equal(got.atimeNs, want.atimeNs, 'atime -1.25 s');
  t.equal(got.mtimeNs, want.mtimeNs, 'mtime -2^31 s');
  t.equal(want.atimeNs, -1250000000n, 'the lower really holds the time asked for');
  const sub = lstatSync(join(d.lowers[0]!, 'sub'), { bigint: true }).mtimeNs;
  t.equal(sub, -1000000500n, 'the lower holds -1.0000005 s');
  t.equal(lstatSync(join(d.merged, 'sub'), { bigint: true }).mtimeNs, sub, 'mtime -1.0000005 s');
});
