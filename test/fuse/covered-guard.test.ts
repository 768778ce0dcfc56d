// An overlay mounted on its own upper (or on the dir holding its upper and work dirs) whose upper
// dir is replaced by a symlink directly in the layer while mounted: the root daemon must not
// follow it out of the layer for an unprivileged client. A review (2026-12-07 evening) read a
// root-only file as nobody that way, with the watcher off or cache=always: the covered upper was
// reached through the plain fd held on it before the mount. The kernel's overlay refuses it
// (its cached dentry is the old dir); so must ovl-fuse, which now clones the upper's mount with
// no symlink following from fds held before the mount.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdirSync, openSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { umountSurely } from '../../src/sys/index.js';
import { startFuse } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs } from '../helpers/layers.js';
import { tmpfsAt } from '../helpers/scratch-fs.js';

interface Shape {
  name: string;
  /** The layers (lower, upper, work) and where the overlay goes, made in `d`. */
  make: (d: LayerDirs) => { lower: string; upper: string; work: string; at: string };
}

const SHAPES: Shape[] = [
  { name: 'on its own upper', make: (d) => ({ lower: d.lowers[0]!, upper: d.upper, work: d.work, at: d.upper }) },
  { name: 'on the dir holding its layers', make: (d) => ({ lower: d.lowers[0]!, upper: d.upper, work: d.work, at: d.root }) },
  {
    // The mount holding upper and work is covered too: cloned from the fd held on its root.
    name: 'on the root of the filesystem holding its layers',
    make: (d) => {
      const fs = tmpfsAt(d, join(d.root, 'fs'));
      const [lower, upper, work] = ['l', 'u', 'w'].map((n) => join(fs, n)) as [string, string, string];
      for (const dir of [lower, upper, work]) mkdirSync(dir);
      return { lower, upper, work, at: fs };
    },
  },
];
const OPTIONS = ['watch=off', 'cache=always'] as const;

/** What nobody reads of `path`: its text, or 'refused'. */
function asNobody(path: string): string {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', path], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : 'refused';
}

for (const shape of SHAPES) {
  for (const extra of OPTIONS) {
    t.test(`mounted ${shape.name}, ${extra}: an upper dir swapped for a symlink leads nowhere`, async (t) => {
      const d = layerDirs(t, 1, 'ovlkit-covered-guard-');
      // mkdtemp's 0700 would refuse nobody on the way, whatever the daemon did.
      chmodSync(d.root, 0o755);
      const { lower, upper, work, at } = shape.make(d);
      mkdirSync(join(upper, 'dir'));
      writeFileSync(join(upper, 'dir', 'a'), 'a');
      // Beside the layers, a dir only root may enter.
      const out = join(d.root, 'out');
      mkdirSync(out);
      writeFileSync(join(out, 'passwd'), 'SECRET');
      chmodSync(out, 0o700);
      d.track(at);
      // A way to the upper beneath the mount, as any process that held it open has.
      const held = openSync(upper, constants.O_RDONLY | constants.O_DIRECTORY);
      t.teardown(() => closeSync(held));
      await startFuse(t, `lowerdir=${lower},upperdir=${upper},workdir=${work},${extra}`, at);
      t.same(readdirSync(join(at, 'dir')), ['a'], 'the upper dir through the mount');
      t.equal(asNobody(join(at, 'dir', 'a')), 'a', 'nobody reads its files: the way is open');
      const beneath = `/proc/self/fd/${held}`;
      renameSync(join(beneath, 'dir'), join(beneath, 'dir.old'));
      symlinkSync(out, join(beneath, 'dir'));
      t.equal(asNobody(join(at, 'dir', 'passwd')), 'refused', 'nobody reads no root-only file');
      // Writes still land in the upper beneath (upper and work on one mount: no EXDEV).
      writeFileSync(join(at, 'new'), 'n');
      await umountSurely(at);
      t.equal(execFileSync('cat', [join(upper, 'new')], { encoding: 'utf8' }), 'n', 'a new file in the upper');
    });
  }
}
