// fsync(2) of a dir through ovl-fuse, as the kernel's ovl_dir_fsync: the daemon syncs the dir's
// upper copy (a merged dir's too), never a dir only in the lowers, and nothing on a volatile
// mount. ovl-fuse answered FSYNCDIR with ENOSYS, which the kernel takes as "nothing to do", so a
// program's fsync of a dir (after a create or rename in it) never reached the upper.
import { closeSync, constants, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { syscallsDuring } from '../helpers/strace.js';

for (const [transport, extra] of [['dev', ''], ['fuse-native', 'transport=fuse-native'], ['dev, volatile', 'volatile']] as const) {
  t.test(`${transport}: the daemon syncs the upper and merged dirs, not the lower-only one`, async (t) => {
    const d = layerDirs(t, 1, 'ovlkit-fsyncdir-');
    for (const dir of ['lower', 'merged']) mkdirSync(join(d.lowers[0]!, dir));
    for (const dir of ['upper', 'merged']) mkdirSync(join(d.upper, dir));
    const m = await mountFuse(t, d, extra);
    const fds = ['lower', 'upper', 'merged'].map((dir) => openSync(join(d.merged, dir), constants.O_RDONLY | constants.O_DIRECTORY));
    t.teardown(() => fds.forEach((fd) => closeSync(fd)));
    const calls = await syscallsDuring(t, ['fsync', 'fdatasync'], () => fds.forEach((fd) => fsyncSync(fd)), m.child.pid!);
    t.same(calls, extra === 'volatile' ? [] : ['fsync', 'fsync'], 'one fsync each for the upper and the merged dir');
  });
}
