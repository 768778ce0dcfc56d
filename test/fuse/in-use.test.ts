// Two mounts of one upper or work dir, and a lower that is another mount's upper. The kernel's
// overlay (index=off) mounts both and warns, once per dir, "<role> is in-use as upperdir/workdir of
// another mount, accessing files from both mounts will result in undefined behavior." (checked on
// 6.18: dmesg). ovl-fuse says the same on the command's stderr, naming the dir, for another
// ovl-fuse (its claim, a flock held for the daemon's life) and for a kernel overlay (mountinfo).
// Before 2026-12-07 evening ovl-fuse mounted without a word.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { execa } from 'execa';
import { formatMountOptions } from '../../src/format/index.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { ovlFuseBin, startFuse } from '../helpers/fuse.js';
import { type LayerDirs, kernelOptions, layerDirs } from '../helpers/layers.js';
import { tryMount } from '../helpers/mount-target.js';

const WORDS = 'is in-use as upperdir/workdir of another mount, accessing files from both mounts will result in undefined behavior.';
const line = (role: string, dir: string) => `ovl-fuse: warning: ${role} ${dir} ${WORDS}`;

/** A second mount point beside d.merged, unmounted in d's teardown. */
function another(d: LayerDirs, name: string): string {
  const m = join(d.root, name);
  mkdirSync(m);
  d.track(m);
  return m;
}

/** The overlay's options over `d` with upper and work, as the kernel's mount(8) takes them. */
const opts = (d: LayerDirs) => formatMountOptions(kernelOptions(d));

/** Mounted the way mount(8)'s helper or `node bin/ovl-fuse` runs: node detaches, no sh. */
async function nodeDetached(options: string, merged: string): Promise<{ code: number; stderr: string }> {
  const r = await execa(process.execPath, [ovlFuseBin, '-o', options, merged], { reject: false, env: { CI: '' } });
  return { code: r.exitCode ?? -1, stderr: r.stderr };
}

t.test('a second ovl-fuse on one upper and work dir warns as the kernel does, and mounts', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-in-use-');
  const first = await startFuse(t, opts(d), d.merged);
  const second = another(d, 'second');
  t.same(await tryMount('fuse', second, opts(d)), { code: 0, stderr: `${line('upperdir', d.upper)}\n${line('workdir', d.work)}` }, 'both dirs named');
  await umountSurely(second);
  // Its upper as another's lower: the kernel warns for the lower too.
  const third = another(d, 'third');
  t.same(await tryMount('fuse', third, `lowerdir=${d.upper}:${d.lowers[0]}`), { code: 0, stderr: line('lowerdir', d.upper) }, 'a lower that is its upper');
  await umountSurely(third);
  // The claim lives as long as the daemon serving the mount, however it was started.
  await umountSurely(d.merged);
  await first.exited;
  const fourth = another(d, 'fourth');
  t.same(await nodeDetached(opts(d), fourth), { code: 0, stderr: '' }, 'free again once the first daemon is gone');
  const fifth = another(d, 'fifth');
  t.same(await tryMount('fuse', fifth, `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${d.work}`), {
    code: 0,
    stderr: `${line('upperdir', d.upper)}\n${line('workdir', d.work)}`,
  }, 'a daemon node detached holds the claim its command took');
  for (const m of [fourth, fifth]) if (isMounted(m)) await umountSurely(m);
});

t.test('a kernel overlay using the dir: the same warnings, and the kernel warns the same way', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-in-use-kernel-');
  const k = another(d, 'kernel');
  const mounted = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', opts(d), k], { encoding: 'utf8' });
  t.equal(mounted.status, 0, mounted.stderr);
  t.same(await tryMount('fuse', d.merged, opts(d)), { code: 0, stderr: `${line('upperdir', d.upper)}\n${line('workdir', d.work)}` });
  await umountSurely(d.merged);
  t.same(await tryMount('fuse', d.merged, `lowerdir=${d.upper}:${d.lowers[0]}`), { code: 0, stderr: line('lowerdir', d.upper) });
  await umountSurely(d.merged);
  // The kernel's own second mount, for its words: they are ours after the dir's name.
  const k2 = another(d, 'kernel2');
  // What the kernel logs after a marker of ours (a full ring buffer keeps its line count).
  const marker = `ovlkit in-use test ${process.pid} ${Date.now()}`;
  writeFileSync('/dev/kmsg', marker);
  t.equal(spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', opts(d), k2]).status, 0);
  const log = spawnSync('dmesg', [], { encoding: 'utf8' }).stdout;
  const said = log.slice(log.lastIndexOf(marker));
  t.match(said, `overlayfs: upperdir ${WORDS}`);
  t.match(said, `overlayfs: workdir ${WORDS}`);
});

// mountinfo shows a kernel overlay's paths as they were given: relative ones name dirs of a cwd
// long gone. Resolved against ovl-fuse's own cwd they named unrelated dirs (a review).
t.test('a kernel overlay mounted with relative paths is not mistaken for another', async (t) => {
  const k = layerDirs(t, 1, 'ovlkit-in-use-rel-');
  const mounted = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', 'lowerdir=l1,upperdir=upper,workdir=work', 'merged'], { cwd: k.root, encoding: 'utf8' });
  t.equal(mounted.status, 0, mounted.stderr);
  // Dirs of the same relative names, unrelated, mounted from the dir holding them.
  const d = layerDirs(t, 1, 'ovlkit-in-use-rel-other-');
  const r = await execa(ovlFuseBin, ['-o', 'lowerdir=l1,upperdir=upper,workdir=work', 'merged'], { cwd: d.root, reject: false, env: { CI: '' } });
  t.same({ code: r.exitCode, stderr: r.stderr }, { code: 0, stderr: '' });
});

t.test('nothing is said where nothing is shared', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-in-use-none-');
  t.same(await tryMount('fuse', d.merged, opts(d)), { code: 0, stderr: '' });
  const ro = another(d, 'ro');
  // Lowers are shared freely, by the kernel too.
  t.same(await tryMount('fuse', ro, `lowerdir=${d.lowers.join(':')}`), { code: 0, stderr: '' });
});
