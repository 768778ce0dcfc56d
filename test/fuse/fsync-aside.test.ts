// A long fsync holds only its caller. The loop serves one request at a time, and it ran every
// fsync itself: a stat or a listing of any other file of the mount waited until the disk had
// taken the synced file's data (for ever on a stalled disk), where the kernel's overlay answers
// them at once. Now an fsync with much data to write goes to another thread, which answers it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { inFsync } from '../helpers/in-syscall.js';
import { layerDirs } from '../helpers/layers.js';
import { othersAnswered } from '../helpers/others-answered.js';
import { stallableExt4At } from '../helpers/scratch-fs.js';

/** A mount whose upper is on a disk the test can stall, with lower files `small` and `sub/f`. */
async function onStallableDisk(t: Parameters<typeof layerDirs>[0]) {
  const d = layerDirs(t, 1);
  const disk = await stallableExt4At(t, d, join(d.root, 'disk'), '64M');
  d.upper = join(disk.dir, 'u');
  d.work = join(disk.dir, 'w');
  mkdirSync(d.upper);
  mkdirSync(d.work);
  const l = d.lowers[0]!;
  writeFileSync(join(l, 'small'), 'small\n');
  mkdirSync(join(l, 'sub'));
  writeFileSync(join(l, 'sub', 'f'), 'f');
  const m = await mountFuse(t, d);
  return { d, disk, daemon: m.child.pid! };
}

/** `call` (fsync or fdatasync) of `path` (a file, or a dir) in another process. */
function syncIn(call: 'fsync' | 'fdatasync', path: string) {
  const code = `const fs = require('fs'); fs.${call}Sync(fs.openSync(${JSON.stringify(path)}, fs.statSync(${JSON.stringify(path)}).isDirectory() ? 'r' : 'r+'))`;
  return execa(process.execPath, ['-e', code], { reject: false });
}

/** Wait until the daemon is in fsync(2) (held by the stalled disk). */
async function syncing(daemon: number): Promise<void> {
  for (let i = 0; !inFsync(daemon); i++) {
    if (i === 1000) throw new Error('the daemon never called fsync');
    await sleep(10);
  }
}

const cases = [
  { what: 'an fsync of 8 MiB', call: 'fsync', dirty: 8 << 20 },
  { what: 'an fdatasync of 8 MiB', call: 'fdatasync', dirty: 8 << 20 },
  // ext4 flushes the disk's cache for it: a stalled disk holds it too (a review).
  { what: 'an fsync with nothing to write', call: 'fsync', dirty: 0 },
  { what: 'an fsync of a dir with a new name', call: 'fsync', dirty: -1 },
] as const;

for (const c of cases) {
  t.test(`a stat and a listing of other files are answered while ${c.what} waits for a stalled disk`, async (t) => {
    const { d, disk, daemon } = await onStallableDisk(t);
    const data = Buffer.alloc(Math.max(c.dirty, 4096), 'z');
    const target = join(d.merged, c.dirty < 0 ? 'dir' : 'big');
    // A dir with a new name in it: its fsync commits the journal.
    if (c.dirty < 0) mkdirSync(target);
    writeFileSync(c.dirty < 0 ? join(target, 'x') : target, data);
    if (c.dirty === 0) t.equal((await syncIn('fsync', target)).exitCode, 0, 'synced before the stall');

    disk.stall();
    const syncer = syncIn(c.call, target);
    try {
      await syncing(daemon);
      await othersAnswered(t, d.merged);
      t.equal(syncer.exitCode, null, `while the ${c.call} still waited`);
    } finally {
      disk.resume();
    }
    t.equal((await syncer).exitCode, 0, `then the ${c.call} returned`);
    if (c.dirty > 0) t.ok(readFileSync(join(d.upper, 'big')).equals(data), 'and the data is in the upper');
  });
}

t.test("an fsync's error reaches its caller: EIO from a failed disk", async (t) => {
  const { d, disk, daemon } = await onStallableDisk(t);
  writeFileSync(join(d.merged, 'big'), Buffer.alloc(8 << 20, 'z'));
  disk.stall();
  const code = `const fs = require('fs'); try { fs.fsyncSync(fs.openSync(${JSON.stringify(join(d.merged, 'big'))}, 'r+')) } catch (e) { console.log(e.code) }`;
  const syncer = execa(process.execPath, ['-e', code], { reject: false });
  await syncing(daemon);
  disk.fail();
  const r = await syncer;
  t.equal(r.stdout, 'EIO', 'fsync failed with EIO');
});
