// A long fsync holds only its caller. The loop serves one request at a time, and it ran every
// fsync itself: a stat or a listing of any other file of the mount waited until the disk had
// taken the synced file's data (for ever on a stalled disk), where the kernel's overlay answers
// them at once. Now an fsync with much data to write goes to another thread, which answers it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { stallableExt4At } from '../helpers/scratch-fs.js';

const SYS_FSYNC = 74;
const SYS_FDATASYNC = 75;

/** Whether a thread of process `pid` is in fsync(2) or fdatasync(2) now. */
function inFsync(pid: number): boolean {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const nr = Number(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]);
      if (nr === SYS_FSYNC || nr === SYS_FDATASYNC) return true;
    } catch {
      // the thread ended meanwhile
    }
  }
  return false;
}

/** A command in another process, killed if it is not done in 10 s (a FUSE request waits killably). */
function bounded(file: string, args: string[]) {
  return execa(file, args, { timeout: 10_000, killSignal: 'SIGKILL', reject: false });
}

for (const call of ['fsync', 'fdatasync'] as const) {
  t.test(`a stat and a listing of other files are answered while an ${call} waits for a stalled disk`, async (t) => {
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
    const data = Buffer.alloc(8 << 20, 'z');
    writeFileSync(join(d.merged, 'big'), data);

    disk.stall();
    const sync = `const fs = require('fs'); fs.${call}Sync(fs.openSync(${JSON.stringify(join(d.merged, 'big'))}, 'r+'))`;
    const syncer = execa(process.execPath, ['-e', sync], { reject: false });
    try {
      // The daemon is in the fsync: 8 MiB the stalled disk will not take.
      for (let i = 0; !inFsync(m.child.pid!); i++) {
        if (i === 1000) throw new Error('the daemon never called fsync');
        await sleep(10);
      }
      const stat = await bounded('stat', ['-c', '%s', join(d.merged, 'small')]);
      t.equal(stat.exitCode, 0, 'the stat was answered');
      t.equal(stat.stdout, '6');
      const ls = await bounded('ls', [join(d.merged, 'sub')]);
      t.equal(ls.exitCode, 0, 'the listing was answered');
      t.equal(ls.stdout, 'f');
      t.equal(syncer.exitCode, null, `while the ${call} still waited`);
    } finally {
      disk.resume();
    }
    t.equal((await syncer).exitCode, 0, `then the ${call} returned`);
    execFileSync('sync');
    t.ok(readFileSync(join(d.upper, 'big')).equals(data), 'and the data is in the upper');
  });
}
