// Open-file operations of the core (no FUSE in between): what an fsync of a handle syncs.
import { execFileSync } from 'node:child_process';
import { constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { resolveMountOptions } from '../format/index.js';
import { kernelOptions, layerDirs } from '../../test/helpers/layers.js';
import { syscallsDuring } from '../../test/helpers/strace.js';
import { prepareWorkdir } from './workdir.js';
import { openFileHandle, openHandle, releaseHandle, syncDir, syncHandle } from './ops-file.js';
import { lookupPath } from './lookup.js';
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

// The kernel's ovl_dir_fsync: the dir's upper copy is synced (a merged dir's too), a lower-only dir
// is not (and is not copied up for it), and on a volatile mount nothing is. ovl-fuse answered
// FSYNCDIR ENOSYS, which the kernel takes as "nothing to do": an fsync of a dir never reached the upper.
t.test('fsync of a dir syncs its upper copy only, and nothing on a volatile mount (as ovl_dir_fsync)', async (t) => {
  for (const volatile of [false, true]) {
    const d = layerDirs(t, 1, 'ovlkit-fsyncdir-');
    for (const dir of ['lower', 'merged']) mkdirSync(join(d.lowers[0]!, dir));
    for (const dir of ['upper', 'merged']) mkdirSync(join(d.upper, dir));
    prepareWorkdir(d.work);
    const ovl = new Overlay(resolveMountOptions(kernelOptions(d, volatile ? { volatile: true } : {})), 'never', () => ({ uid: 0, gid: 0 }));
    const calls = await syscallsDuring(t, ['fsync', 'fdatasync'], () => {
      for (const datasync of [false, true]) for (const dir of ['/lower', '/upper', '/merged', '/']) syncDir(ovl, dir, datasync);
    });
    const each = ['fsync', 'fsync', 'fsync', 'fdatasync', 'fdatasync', 'fdatasync'];
    t.same(calls, volatile ? [] : each, volatile ? 'volatile: no sync' : 'the upper, merged and root dirs, as asked; not the lower one');
    t.same(ovl.stack.upper && lookupPath(ovl, '/lower').hits.map((h) => h.layer.upper), [false], 'the lower dir was not copied up');
  }
});

// OPEN is only ever sent for a regular file: a remembered file its layer replaced meanwhile by a
// FIFO (whose blocking open hung the daemon) or a dir answers ESTALE, so that the VFS looks the
// name up again; a new regular file at the name is opened.
t.test('an open of a remembered file its layer replaced by a FIFO or a dir answers ESTALE', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-open-remembered-');
  for (const n of ['fifo', 'dir', 'renewed']) writeFileSync(join(d.lowers[0]!, n), 'old');
  prepareWorkdir(d.work);
  const ovl = new Overlay(resolveMountOptions(kernelOptions(d)), 'never', () => ({ uid: 0, gid: 0 }));
  for (const n of ['/fifo', '/dir', '/renewed']) lookupPath(ovl, n);
  const lower = (n: string) => join(d.lowers[0]!, n);
  rmSync(lower('fifo'));
  execFileSync('mkfifo', [lower('fifo')]);
  rmSync(lower('dir'));
  mkdirSync(lower('dir'));
  rmSync(lower('renewed'));
  writeFileSync(lower('renewed'), 'new');
  t.throws(() => openFileHandle(ovl, '/fifo', constants.O_RDONLY), { code: 'ESTALE' }, 'a FIFO now: ESTALE');
  t.throws(() => openFileHandle(ovl, '/fifo', constants.O_WRONLY), { code: 'ESTALE' }, 'also for writing (no copy-up of the FIFO)');
  t.throws(() => openFileHandle(ovl, '/dir', constants.O_RDONLY), { code: 'ESTALE' }, 'a dir now: ESTALE');
  const renewed = openFileHandle(ovl, '/renewed', constants.O_RDONLY).fh;
  t.equal(readFileSync(`/proc/self/fd/${ovl.handles.get(renewed)!.fd}`, 'utf8'), 'new', 'a new file at the name: that one');
  releaseHandle(ovl, renewed);
});
