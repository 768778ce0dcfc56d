// The mount's read-ahead: INIT can only keep the kernel's 128 KiB default, so the daemon raises
// its bdi's read_ahead_kb to one max_pages READ (1 MiB) once INIT is answered, before the mount
// is reported live: a cold sequential read then costs 8 times fewer round trips.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { listMounts } from '../../src/sys/index.js';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

t.test('a live mount reads ahead 1 MiB, and a sequential read returns every byte', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-ra-');
  const data = Buffer.alloc(3 * 1024 * 1024 + 123);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff;
  writeFileSync(join(d.lowers[0]!, 'big'), data);
  await mountFuse(t, d);
  const dev = listMounts().find((m) => m.target === d.merged)?.dev;
  t.ok(dev, 'the mount is listed with its device');
  t.equal(readFileSync(`/sys/class/bdi/${dev}/read_ahead_kb`, 'utf8').trim(), '1024');
  t.ok(readFileSync(join(d.merged, 'big')).equals(data), 'the whole file, in order');
});
