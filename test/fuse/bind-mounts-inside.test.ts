// A filesystem bind-mounted on a dir inside the merged view (a chroot's /proc, /sys, /dev) stays
// mounted whatever the layer watcher tells the kernel, as on the kernel's overlay, where a change
// in a lower detaches nothing. A review found ovl-fuse detaching them: the watcher's
// FUSE_NOTIFY_INVAL_ENTRY made the kernel d_invalidate() the dentry, which detaches every mount on
// it or below it, and the watcher sends those for a changed lower dir's names, and for every name
// when events were lost (an overflowed queue, an event it could not resolve). In a chroot running
// `apt-get update` beside another build, /proc, /sys, /dev and /dev/pts vanished (2 of 2 runs) and
// dpkg's maintainer scripts ran without them. The daemon now only expires such entries
// (FUSE_EXPIRE_ONLY): the next walk asks for the name again and keeps the dentry, and the mounts on
// it, when it still names the same node. Also here: an event in a dir whose path is longer than
// PATH_MAX elsewhere on the layers' filesystem is not taken for lost events.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { isMounted, umountSurely } from '../../src/sys/index.js';
import { type FuseMount, mountFuse, overflowWhileStopped, shows } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs } from '../helpers/layers.js';

/** A lower with sub/mnt and sub/f, mounted; a dir holding `seen` bind-mounted on merged/sub/mnt. */
async function withBind(t: Test): Promise<{ d: LayerDirs; m: FuseMount; bind: string; stderr: () => string }> {
  const d = layerDirs(t, 1);
  mkdirSync(join(d.lowers[0]!, 'sub', 'mnt'), { recursive: true });
  writeFileSync(join(d.lowers[0]!, 'sub', 'f'), 'lower');
  const src = join(d.root, 'bind-src');
  mkdirSync(src);
  writeFileSync(join(src, 'seen'), 'from the bind mount');
  const m = await mountFuse(t, d);
  let stderr = '';
  m.child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const bind = join(d.merged, 'sub', 'mnt');
  execFileSync('mount', ['--bind', src, bind]);
  // Before the overlay's own teardown (which would find it busy): tap runs teardowns last first.
  t.teardown(() => (isMounted(bind) ? umountSurely(bind) : undefined));
  t.equal(readFileSync(join(bind, 'seen'), 'utf8'), 'from the bind mount');
  return { d, m, bind, stderr: () => stderr };
}

/** The bind mount, a moment after the change showed (the rest of the watcher's round may follow it). */
async function stillMounted(t: Test, bind: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 300));
  t.ok(isMounted(bind), 'the bind mount is still there');
  t.equal(readFileSync(join(bind, 'seen'), 'utf8'), 'from the bind mount', 'and reads through');
}

t.test("a lower dir's attributes changed: its names are looked up again, the mount on one stays", async (t) => {
  const { d, bind } = await withBind(t);
  statSync(join(d.merged, 'sub', 'f'));
  chmodSync(join(d.lowers[0]!, 'sub'), 0o750);
  t.ok(await shows(() => (statSync(join(d.merged, 'sub')).mode & 0o777) === 0o750), 'the new mode shows through the mount');
  await stillMounted(t, bind);
  // The names below were told too, and still resolve.
  t.equal(readFileSync(join(d.merged, 'sub', 'f'), 'utf8'), 'lower');
});

t.test('a lower file replaced beside the mount: the new file shows, the mount stays', async (t) => {
  const { d, bind } = await withBind(t);
  t.equal(readFileSync(join(d.merged, 'sub', 'f'), 'utf8'), 'lower');
  writeFileSync(join(d.lowers[0]!, 'sub', 'f.new'), 'replaced');
  execFileSync('mv', [join(d.lowers[0]!, 'sub', 'f.new'), join(d.lowers[0]!, 'sub', 'f')]);
  t.ok(await shows(() => readFileSync(join(d.merged, 'sub', 'f'), 'utf8') === 'replaced'), 'the replaced file shows');
  await stillMounted(t, bind);
});

t.test('events lost (the queue overflowed while the daemon was stopped): every cache dropped, the mount stays', async (t) => {
  const { d, m, bind } = await withBind(t);
  overflowWhileStopped(m, join(d.root, 'noise'), () => writeFileSync(join(d.lowers[0]!, 'sub', 'f'), 'changed while stopped'));
  t.ok(await shows(() => readFileSync(join(d.merged, 'sub', 'f'), 'utf8') === 'changed while stopped'), 'the change made meanwhile shows');
  await stillMounted(t, bind);
});

t.test('an event in a dir whose path is longer than PATH_MAX, outside the layers: no warning, the mount stays', async (t) => {
  const { d, bind, stderr } = await withBind(t);
  // 20 levels of 250-byte names under the test's dir, on the layers' filesystem, made by a child
  // that goes down one level at a time: no path it hands the kernel is longer than PATH_MAX.
  const name = 'd'.repeat(250);
  const deep = `const fs=require('fs');process.chdir(process.argv[1]);for(let i=0;i<20;i++){fs.mkdirSync(process.argv[2]);process.chdir(process.argv[2]);}fs.writeFileSync('f','x')`;
  execFileSync(process.execPath, ['-e', deep, d.root, name]);
  t.teardown(() => execFileSync('rm', ['-rf', join(d.root, name)]));
  // One more event inside the layer, after those: once it shows, the deep ones were read.
  writeFileSync(join(d.lowers[0]!, 'sub', 'f'), 'after the deep path');
  t.ok(await shows(() => readFileSync(join(d.merged, 'sub', 'f'), 'utf8') === 'after the deep path'), 'the later change shows');
  await stillMounted(t, bind);
  t.notMatch(stderr(), /reading layer events failed/, 'no warning');
});
