import { existsSync, statfsSync } from 'node:fs';
import t from 'tap';
import { linkLimitOf } from './link-limit.js';

t.test('link limits by filesystem type', async (t) => {
  t.equal(linkLimitOf('/no/such/path'), null);
  if (existsSync('/dev/shm') && statfsSync('/dev/shm').type === 0x01021994) t.equal(linkLimitOf('/dev/shm'), 4294967295, 'tmpfs');
  if (statfsSync('/proc').type === 0x9fa0) t.equal(linkLimitOf('/proc'), null, 'procfs: unknown');
});
