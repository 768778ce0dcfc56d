// The layer watcher on a busy filesystem: a mount's watcher marks the whole filesystem of its
// layers, so every change anyone makes there reaches its daemon (on a container host, every
// container's daemon). Woken for each event, the daemon read its fanotify fd 14,886 times while
// this test's writer wrote 2,906 times; the loop now rests from the watcher for REST_MS after
// serving it, so a flood of unrelated events costs one drain per REST_MS (389–399 reads).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { REST_MS } from '../../src/fuse/session/loop.js';
import { daemonFd, mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { syscallLinesDuring } from '../helpers/strace.js';

const FLOOD_MS = 500;

t.test('a flood of unrelated events is drained once per rest, not once per event', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  const m = await mountFuse(t, d);
  readdirSync(d.merged);
  // The layer watcher's fanotify group.
  const fan = daemonFd(m.child.pid!, 'anon_inode:[fanotify]');
  const noise = join(d.root, 'noise');
  let writes = 0;
  const lines = await syscallLinesDuring(
    t,
    ['read'],
    () => {
      const end = Date.now() + FLOOD_MS;
      while (Date.now() < end) writeFileSync(noise, String(writes++));
    },
    m.child.pid,
  );
  const drains = lines.filter((l) => l.includes(`read(${fan},`)).length;
  t.ok(drains >= 2, `the watcher read the events: ${drains} reads of its fd`);
  // Each drain reads until the queue is empty: one read, two when the first filled half its buffer.
  t.ok(drains <= (2 * FLOOD_MS) / REST_MS + 10, `${drains} reads of the watcher's fd for ${writes} writes in ${FLOOD_MS} ms`);
  // A layer change right after the flood, within the rest, is still seen by the next request:
  // the loop asks the watcher before it serves one.
  writeFileSync(join(d.lowers[0]!, 'f'), 'changed');
  t.equal(readFileSync(join(d.merged, 'f'), 'utf8'), 'changed');
});

