// The bench's daemon memory figure, on real mounts: an ovl-fuse daemon's anonymous memory is
// found through its /dev/fuse connection (not by its command line), and a dir that is not a FUSE
// mount is refused rather than matched to some other mount's connection.
import t from 'tap';
import { daemonAnonMiB } from '../../src/bench/daemon-memory.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

t.test('an ovl-fuse mount: its daemon holds some MiB, far below a GiB', async (t) => {
  const d = layerDirs(t, 1);
  await mountFuse(t, d);
  const mib = daemonAnonMiB(d.merged);
  t.ok(mib > 1 && mib < 1024, `${mib.toFixed(1)} MiB`);
});

t.test('a dir that is not a FUSE mount is refused', async (t) => {
  const d = layerDirs(t, 1);
  t.throws(() => daemonAnonMiB(d.lowers[0]!), /is not a FUSE mount/);
});
