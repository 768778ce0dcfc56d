// Open-file operations of the core (no FUSE in between): what an fsync of a handle syncs.
import { constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { resolveMountOptions } from '../format/index.js';
import { kernelOptions, layerDirs } from '../../test/helpers/layers.js';
import { syscallsDuring } from '../../test/helpers/strace.js';
import { prepareWorkdir } from './mount.js';
import { openHandle, releaseHandle, syncHandle } from './ops-file.js';
import { Overlay } from './overlay.js';

// The kernel's ovl_fsync: an upper file is synced (fsync or fdatasync as asked), a lower one
// opened for reading is not (no EROFS from a read-only lower), and on a volatile mount nothing is.
t.test('fsync of a handle syncs the upper file only, and nothing on a volatile mount (as ovl_fsync)', async (t) => {
  for (const volatile of [false, true]) {
    const d = layerDirs(t, 1, 'ovlkit-fsync-');
    writeFileSync(join(d.lowers[0]!, 'lower'), 'l');
    writeFileSync(join(d.upper, 'upper'), 'u');
    prepareWorkdir(d.work);
    const ovl = new Overlay(resolveMountOptions(kernelOptions(d, volatile ? { volatile: true } : {})), 'never', () => ({ uid: 0, gid: 0 }));
    const lower = openHandle(ovl, '/lower', constants.O_RDONLY);
    const upper = openHandle(ovl, '/upper', constants.O_RDWR);
    const calls = await syscallsDuring(t, ['fsync', 'fdatasync'], () => {
      for (const datasync of [false, true]) {
        syncHandle(ovl, lower, datasync);
        syncHandle(ovl, upper, datasync);
      }
    });
    t.same(calls, volatile ? [] : ['fsync', 'fdatasync'], volatile ? 'volatile: no sync' : 'the upper file, as asked; not the lower');
    t.notOk(ovl.handles.get(lower)!.upper, 'the lower file was not copied up by its fsync');
    releaseHandle(ovl, lower);
    releaseHandle(ovl, upper);
  }
});
