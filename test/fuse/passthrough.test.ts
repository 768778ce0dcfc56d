// FUSE passthrough of upper files (src/fuse/ll-passthrough.ts) on real mounts: reads of upper files
// stamp the upper file's atime as kernel overlayfs does, writes and mmap reach the upper file, a
// read-only fd on a lower file still follows a copy-up, and a node with a cached open falls back.
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync, statfsSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { tmpfsAt } from '../helpers/scratch-fs.js';
import { sameOnBoth } from '../helpers/twin.js';

const OLD = new Date('2020-01-01T00:00:00Z');

/** A file whose atime is old, so relatime stamps it on the next read. */
function oldFile(path: string, data: string): void {
  writeFileSync(path, data);
  utimesSync(path, OLD, OLD);
}

const stamped = (p: string) => statSync(p).atimeMs > OLD.getTime();

/** Files the daemon holds open below `dir` (its handles; the backing ids are counted in src/fuse/ll-passthrough.test.ts). */
function daemonFdsUnder(pid: number, dir: string): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/`);
    } catch {
      return false;
    }
  }).length;
}

await sameOnBoth(t, 'upper file reads stamp atime as the kernel does (empty file too)', {
  lowers: 1,
  setup(d) {
    oldFile(join(d.upper, 'full'), 'data');
    oldFile(join(d.upper, 'empty'), '');
  },
  steps(m, d) {
    readFileSync(join(m, 'full'));
    readFileSync(join(m, 'empty'));
    return {
      fullUpper: stamped(join(d.upper, 'full')),
      emptyUpper: stamped(join(d.upper, 'empty')),
      fullMerged: stamped(join(m, 'full')),
      emptyMerged: stamped(join(m, 'empty')),
    };
  },
});

await sameOnBoth(t, 'write then read through the mount shows the new size and mtime', {
  lowers: 1,
  setup(d) {
    oldFile(join(d.upper, 'f'), 'abc');
  },
  steps(m, d) {
    const fd = openSync(join(m, 'f'), 'r+');
    writeSync(fd, 'hello world', 0);
    const fst = fstatSync(fd);
    closeSync(fd);
    const st = statSync(join(m, 'f'));
    return {
      data: readFileSync(join(m, 'f'), 'utf8'),
      size: st.size,
      fsize: fst.size,
      mtimeMoved: st.mtimeMs > OLD.getTime(),
      sameAsUpper: st.mtimeMs === statSync(join(d.upper, 'f')).mtimeMs,
    };
  },
});

t.test('a write-only open first, then a reader and an appender share the backing file', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  writeFileSync(join(d.upper, 'f'), 'old');
  await mountFuse(t, d);
  const w = openSync(join(d.merged, 'f'), 'w');
  writeSync(w, 'newdata');
  t.equal(readFileSync(join(d.merged, 'f'), 'utf8'), 'newdata');
  const a = openSync(join(d.merged, 'f'), 'a');
  writeSync(a, 'APP');
  closeSync(a);
  closeSync(w);
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'newdataAPP');
  t.equal(statSync(join(d.merged, 'f')).size, 10);
});

t.test('mmap of an upper file reads and writes the upper file', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  writeFileSync(join(d.upper, 'm'), 'abcdef');
  await mountFuse(t, d);
  // python3 is on the machine (Debian); node has no mmap of its own.
  const out = execFileSync('python3', ['-c', `
import mmap
with open(${JSON.stringify(join(d.merged, 'm'))}, 'r+b') as f:
    mm = mmap.mmap(f.fileno(), 0)
    print(mm[:6].decode())
    mm[0:3] = b'XYZ'
    mm.flush()
    mm.close()
`]).toString().trim();
  t.equal(out, 'abcdef');
  t.equal(readFileSync(join(d.upper, 'm'), 'utf8'), 'XYZdef');
  t.equal(readFileSync(join(d.merged, 'm'), 'utf8'), 'XYZdef');
});

t.test('an fd opened on a lower file before a copy-up reads the new data', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  await mountFuse(t, d);
  const ro = openSync(join(d.merged, 'f'), 'r');
  // The write open copies up while the lower fd (a cached open) exists: it falls back.
  writeFileSync(join(d.merged, 'f'), 'upper!');
  const b = Buffer.alloc(16);
  const n = readSync(ro, b, 0, 16, 0);
  closeSync(ro);
  t.equal(b.subarray(0, n).toString(), 'upper!');
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'upper!');
  // Every open closed: the next opens pass through again and see the same data.
  t.equal(readFileSync(join(d.merged, 'f'), 'utf8'), 'upper!');
});

t.test('opens fall back while the node has a cached open, and stay coherent', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  await mountFuse(t, d);
  const ro = openSync(join(d.merged, 'f'), 'r'); // lower: cached
  const w1 = openSync(join(d.merged, 'f'), 'r+'); // copy-up; cached open exists: cached
  writeSync(w1, 'AAAAA', 0);
  closeSync(ro);
  closeSync(w1);
  const w2 = openSync(join(d.merged, 'f'), 'r+'); // passthrough (or cached until RELEASE arrives)
  const r2 = openSync(join(d.merged, 'f'), 'r');
  writeSync(w2, 'BB', 0);
  const b = Buffer.alloc(8);
  const n = readSync(r2, b, 0, 8, 0);
  t.equal(b.subarray(0, n).toString(), 'BBAAA');
  closeSync(w2);
  closeSync(r2);
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'BBAAA');
});

t.test('hard-link aliases: a write through one name is read through the other', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  writeFileSync(join(d.upper, 'a'), 'one');
  linkSync(join(d.upper, 'a'), join(d.upper, 'b'));
  await mountFuse(t, d);
  const rb = openSync(join(d.merged, 'b'), 'r');
  t.equal(readFileSync(join(d.merged, 'b'), 'utf8'), 'one');
  const wa = openSync(join(d.merged, 'a'), 'r+');
  writeSync(wa, 'TWO', 0);
  const b = Buffer.alloc(8);
  const n = readSync(rb, b, 0, 8, 0);
  t.equal(b.subarray(0, n).toString(), 'TWO');
  t.equal(readFileSync(join(d.merged, 'b'), 'utf8'), 'TWO');
  closeSync(wa);
  closeSync(rb);
  t.equal(statSync(join(d.merged, 'b')).size, 3);
});

t.test('handles of passthrough opens are closed on release', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  for (let i = 0; i < 20; i++) writeFileSync(join(d.upper, `f${i}`), `data${i}`);
  const m = await mountFuse(t, d);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 20; i++) {
      const a = openSync(join(d.merged, `f${i}`), 'r');
      const b = openSync(join(d.merged, `f${i}`), 'r+');
      closeSync(a);
      closeSync(b);
    }
  }
  // RELEASE is asynchronous: a stat round trip per file lets the daemon catch up.
  for (let i = 0; i < 20; i++) statSync(join(d.merged, `f${i}`));
  t.equal(daemonFdsUnder(m.child.pid!, d.upper), 0, 'no upper fds left in the daemon');
});

// A read-only open's backing id stays registered after its release, for the next open of the
// file (src/fuse/ll-passthrough.ts). It must not outlive the file: a file read and then removed
// through the mount is forgotten by the kernel, which closes the id and frees the file's space.
// (On a tmpfs of its own, so that no other test's files move the count.)
t.test('a file read, then removed through the mount: its space is freed at once', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  const fs = tmpfsAt(d, join(d.root, 'fs'), 'size=256m');
  const layers = { ...d, upper: join(fs, 'upper'), work: join(fs, 'work') };
  for (const dir of [layers.upper, layers.work]) mkdirSync(dir);
  const free = () => statfsSync(fs).bfree;
  const empty = free();
  writeFileSync(join(layers.upper, 'big'), Buffer.alloc(64 << 20, 1));
  await mountFuse(t, layers);
  for (let i = 0; i < 3; i++) t.equal(readFileSync(join(d.merged, 'big')).length, 64 << 20);
  t.ok(free() < empty, 'the file takes space');
  unlinkSync(join(d.merged, 'big'));
  // The kernel's FORGET of the node reaches the daemon with its next read: a few stats.
  let freed = false;
  for (let i = 0; i < 100 && !freed; i++) {
    statSync(d.merged);
    freed = free() >= empty;
    if (!freed) await new Promise((r) => setTimeout(r, 20));
  }
  t.ok(freed, 'its space is free again');
});

// A registration from a writable fd is never kept: it holds the upper file open for writing, and
// an execve of that file (the upper dir's own, beside the mount) would fail ETXTBSY. A program
// written through the mount runs at once through the mount and from the upper dir.
t.test('a program written through the mount runs at once, also from the upper dir (no ETXTBSY)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  await mountFuse(t, d);
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(d.merged, 'prog'), `#!/bin/sh\necho run${i}\n`, { mode: 0o755 });
    t.equal(execFileSync(join(d.merged, 'prog'), { encoding: 'utf8' }), `run${i}\n`, 'through the mount');
    t.equal(execFileSync(join(d.upper, 'prog'), { encoding: 'utf8' }), `run${i}\n`, 'the upper file itself');
  }
});

t.test('-o passthrough=off serves upper files from the daemon; a bad value is exit 2', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-pt-');
  writeFileSync(join(d.upper, 'f'), 'abc');
  await mountFuse(t, d, 'passthrough=off');
  const fd = openSync(join(d.merged, 'f'), 'r+');
  writeSync(fd, 'xy', 0);
  closeSync(fd);
  t.equal(readFileSync(join(d.merged, 'f'), 'utf8'), 'xyc');
  const bad = layerDirs(t, 1, 'ovlkit-pt-');
  await t.rejects(mountFuse(t, bad, 'passthrough=maybe'), /passthrough=maybe: expected on or off/);
});

await sameOnBoth(t, 'hard-link aliases: a read and a write through one name show in the other name\'s stat', {
  lowers: 1,
  setup(d) {
    oldFile(join(d.upper, 'z'), 'z');
    linkSync(join(d.upper, 'z'), join(d.upper, 'z2'));
  },
  steps(m) {
    const before = statSync(join(m, 'z2')).size;
    writeFileSync(join(m, 'z'), 'longer', { flag: 'a' });
    readFileSync(join(m, 'z'));
    const st = statSync(join(m, 'z2'));
    return { before, size: st.size, stamped: st.atimeMs > OLD.getTime(), mtimeMoved: st.mtimeMs > OLD.getTime() };
  },
});
