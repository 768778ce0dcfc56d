// ovl-fuse under stress: a daemon killed with SIGKILL during a large copy-up leaves no partial
// upper file and the layers remount; several clients at once never see EIO; lower dirs changed
// while mounted never crash or hang the daemon; 500 lower layers work.
import { appendFileSync, closeSync, constants, existsSync, openSync, mkdirSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, mountFuse, startFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { outcome } from '../helpers/tree.js';

t.test('SIGKILL during the copy-up of a large file leaves no partial copy', async (t) => {
  const d = layerDirs(t, 1);
  const size = 256 * 1024 * 1024;
  const big = Buffer.alloc(size, 0x61);
  writeFileSync(join(d.lowers[0]!, 'big'), big);
  const m = await mountFuse(t, d);
  // The append copies 256 MiB up; kill the daemon while that runs (or just after: both are fine).
  const writer = execa('sh', ['-c', `echo tail >> ${join(d.merged, 'big')}`], { reject: false });
  await new Promise((r) => setTimeout(r, 150));
  m.child.kill('SIGKILL');
  await writer;
  await m.exited;
  await umountSurely(d.merged);
  const upper = join(d.upper, 'big');
  if (existsSync(upper)) t.ok(statSync(upper).size >= size, 'an upper copy is complete');
  else t.pass('no upper copy');
  const leftovers = existsSync(join(d.work, 'work')) ? readdirSync(join(d.work, 'work')) : [];
  t.ok(leftovers.every((n) => n.startsWith('#')), 'temporaries only under workdir/work');
  await mountFuse(t, d);
  const now = readFileSync(join(d.merged, 'big'));
  t.ok(now.length === size || now.length === size + 5, 'the file reads whole after a remount');
  t.equal(now.subarray(0, size).compare(big), 0);
  t.same(readdirSync(join(d.work, 'work')), [], 'the remount cleared workdir/work');
});

t.test('a client killed mid-write leaves a consistent upper and a working mount', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'big'), Buffer.alloc(1024 * 1024, 1));
  const m = await mountFuse(t, d);
  const dd = execa('dd', ['if=/dev/zero', `of=${join(d.merged, 'big')}`, 'bs=1M', 'count=400', 'conv=notrunc'], { reject: false });
  await new Promise((r) => setTimeout(r, 200));
  dd.kill('SIGKILL');
  await dd;
  t.equal(statSync(join(d.merged, 'big')).size, statSync(join(d.upper, 'big')).size, 'merged size is the upper size');
  t.equal(readFileSync(join(d.lowers[0]!, 'big'))[0], 1, 'lower untouched');
  writeFileSync(join(d.merged, 'after'), 'ok');
  t.equal(readFileSync(join(d.merged, 'after'), 'utf8'), 'ok');
  t.equal(m.child.exitCode, null, 'daemon alive');
});

t.test('concurrent clients writing, renaming and listing one dir', async (t) => {
  const d = layerDirs(t, 1);
  mkdirSync(join(d.lowers[0]!, 'shared'));
  for (let i = 0; i < 24; i++) writeFileSync(join(d.lowers[0]!, 'shared', `lower${i}`), `l${i}`);
  await mountFuse(t, d);
  const dir = join(d.merged, 'shared');
  const script = (id: number) =>
    `set -e; for i in $(seq 1 40); do echo ${id}-$i >> ${dir}/c${id}; echo x > ${dir}/t${id}-$i; ` +
    `mv ${dir}/t${id}-$i ${dir}/r${id}-$i; ls ${dir} > /dev/null; cat ${dir}/lower$((i % 20)) > /dev/null; done; ` +
    `mv ${dir}/lower${20 + id} ${dir}/moved${id}`;
  const results = await Promise.all([0, 1, 2, 3].map((id) => execa('sh', ['-c', script(id)], { reject: false })));
  for (const r of results) t.equal(r.exitCode, 0, r.stderr);
  const names = readdirSync(dir);
  for (const id of [0, 1, 2, 3]) {
    t.equal(readFileSync(join(dir, `c${id}`), 'utf8').split('\n').filter(Boolean).length, 40, `no lost append for ${id}`);
    t.equal(names.filter((n) => n.startsWith(`r${id}-`)).length, 40);
    t.ok(names.includes(`moved${id}`) && !names.includes(`lower${20 + id}`));
  }
});

t.test('lower dirs changed while mounted: no crash, in-place changes and new names show', async (t) => {
  const d = layerDirs(t, 1);
  const l1 = d.lowers[0]!;
  mkdirSync(join(l1, 'dir'));
  for (const n of ['p', 'r', 'gone', 'dir/f']) writeFileSync(join(l1, n), 'old');
  const m = await mountFuse(t, d);
  const M = d.merged;
  const before = ['p', 'r', 'gone', 'dir/f'].map((n) => readFileSync(join(M, n), 'utf8'));
  t.same(before, ['old', 'old', 'old', 'old']);
  writeFileSync(join(l1, 'p'), 'NEW-longer');
  writeFileSync(join(l1, 'r.tmp'), 'replaced');
  renameSync(join(l1, 'r.tmp'), join(l1, 'r'));
  unlinkSync(join(l1, 'gone'));
  renameSync(join(l1, 'dir'), join(l1, 'dirR'));
  writeFileSync(join(l1, 'brand-new'), 'n');
  t.equal(readFileSync(join(M, 'p'), 'utf8'), 'NEW-longer', 'in-place change visible at once');
  t.equal(readFileSync(join(M, 'brand-new'), 'utf8'), 'n', 'a new name is found');
  // Whatever the caches say about the rest, answers are data or ENOENT, never EIO or a hang.
  for (const n of ['r', 'gone', 'dir/f', 'dirR/f']) {
    const o = outcome(() => readFileSync(join(M, n)));
    t.ok(o === 'ok' || o === 'ENOENT', `${n}: ${o}`);
  }
  t.ok(['ok', 'ENOENT'].includes(outcome(() => readdirSync(join(M, 'dir')))));
  t.ok(['ok', 'ENOENT'].includes(outcome(() => appendFileSync(join(M, 'gone'), 'x'))));
  t.ok(readdirSync(M).includes('brand-new'));
  rmSync(join(l1, 'dirR'), { recursive: true });
  t.ok(['ok', 'ENOENT'].includes(outcome(() => writeFileSync(join(M, 'dirR', 'x'), 'x'))));
  t.ok(isMounted(M) && m.child.exitCode === null, 'daemon alive');
});

// A lower file replaced by a FIFO under a cached entry (no watcher, cache=always: the kernel keeps
// its regular-file inode) must not hang the daemon: before, a read OPEN opened the lower FIFO, and
// a write OPEN copied the FIFO up and opened the copy, each blocking the one thread serving the
// mount until someone opened that FIFO from the other end. Now the OPEN answers ESTALE, the VFS
// looks the name up again and opens the merged FIFO itself.
t.test('a lower file replaced by a FIFO under a cached entry: the daemon does not hang', async (t) => {
  const d = layerDirs(t, 1);
  const l1 = d.lowers[0]!;
  for (const n of ['r', 'w', 'held', 'other']) writeFileSync(join(l1, n), 'old');
  const m = await mountFuse(t, d, ',watch=off,cache=always');
  const held = openSync(join(d.merged, 'held'), 'r');
  t.teardown(() => closeSync(held));
  for (const n of ['r', 'w', 'held']) {
    t.equal(readFileSync(join(d.merged, n), 'utf8'), 'old');
    unlinkSync(join(l1, n));
    await execa('mkfifo', [join(l1, n)]);
  }
  const clients = [
    execa('cat', [join(d.merged, 'r')], { reject: false, timeout: 4000 }),
    execa('sh', ['-c', `echo x >> ${join(d.merged, 'w')}`], { reject: false, timeout: 4000 }),
  ];
  await new Promise((r) => setTimeout(r, 500));
  const stat = await execa('stat', ['-c', '%F', ...['other', 'r', 'w'].map((n) => join(d.merged, n))], { reject: false, timeout: 3000 });
  // A daemon blocked in the open of a FIFO (the bug) is freed by an open of the other end, so that
  // it can be unmounted. With nobody at the other end these fail (ENXIO or EAGAIN), which is fine.
  // Tried a few times: freed from one, the daemon goes on to the other client's request.
  for (let i = 0; i < 5; i++) {
    for (const [f, end] of [[join(l1, 'r'), constants.O_WRONLY], [join(d.upper, 'w'), constants.O_RDONLY]] as const) {
      try {
        closeSync(openSync(f, end | constants.O_NONBLOCK));
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(stat.timedOut, false, 'the mount still answers while the clients wait on the FIFOs');
  t.same(stat.stdout.split('\n'), ['regular file', 'fifo', 'fifo'], 'and shows the FIFOs the layer now holds');
  const [reader, writer] = await Promise.all(clients);
  t.equal(reader!.timedOut, true, 'the reader waits for a writer of the merged FIFO, as on any FIFO');
  t.equal(writer!.timedOut, true, 'the writer waits for a reader');
  t.notOk(existsSync(join(d.upper, 'w')), 'the FIFO was not copied up');
  // A reopen through /proc/self/fd walks no name, so the VFS's retry cannot help: the file the
  // node still has open is opened again, as the kernel's overlay opens the inode it holds.
  t.equal(readFileSync(`/proc/self/fd/${held}`, 'utf8'), 'old', 'a reopen of a held fd reads the file it holds');
  t.ok(isMounted(d.merged) && m.child.exitCode === null, 'daemon alive');
});

t.test('500 lower layers', async (t) => {
  const d = layerDirs(t, 500);
  for (let k = 0; k < 500; k++) {
    mkdirSync(join(d.lowers[k]!, 'd'));
    writeFileSync(join(d.lowers[k]!, 'd', `f${k}`), String(k));
  }
  writeFileSync(join(d.lowers[499]!, 'bottom'), 'b');
  writeFileSync(join(d.lowers[0]!, 'top'), 't');
  await startFuse(t, fuseOptions(d), d.merged);
  t.equal(readdirSync(join(d.merged, 'd')).length, 500);
  t.equal(readFileSync(join(d.merged, 'd', 'f499'), 'utf8'), '499');
  t.equal(readFileSync(join(d.merged, 'bottom'), 'utf8'), 'b');
  appendFileSync(join(d.merged, 'd', 'f250'), '+');
  t.equal(readFileSync(join(d.upper, 'd', 'f250'), 'utf8'), '250+');
  t.equal(statSync(join(d.merged, 'd')).nlink, 1);
});
