// When a read of the upper file stamps its atime, by the kernel's rules (relatime_need_update).
import t from 'tap';
import type { StatTimes } from '../sys/real-stat.js';
import { atimeModeOf, readStampsAtime } from './read-atime.js';

const NOW = 2_000_000_000;
const times = (a: [number, number], m: [number, number], c: [number, number]): StatTimes => ({
  atimeSec: a[0], atimeNsec: a[1], mtimeSec: m[0], mtimeNsec: m[1], ctimeSec: c[0], ctimeNsec: c[1],
});

t.test('statvfs flags: noatime, relatime, else strictatime', (t) => {
  t.equal(atimeModeOf(1024), 'noatime');
  t.equal(atimeModeOf(1024 | 4096), 'noatime');
  t.equal(atimeModeOf(4096 | 1), 'relatime');
  t.equal(atimeModeOf(1), 'strictatime');
  t.end();
});

t.test('relatime: stamps when mtime or ctime is not before atime, or atime is a day old', (t) => {
  const recent = NOW - 60;
  t.equal(readStampsAtime(times([recent, 5], [recent - 1, 0], [recent - 1, 0]), 'relatime', NOW), false, 'read since the last change');
  t.equal(readStampsAtime(times([recent, 5], [recent, 5], [recent - 1, 0]), 'relatime', NOW), true, 'mtime equal to atime');
  t.equal(readStampsAtime(times([recent, 5], [recent, 4], [recent, 6]), 'relatime', NOW), true, 'ctime after atime by 1 ns (a copy-up chown)');
  t.equal(readStampsAtime(times([recent, 5], [recent, 4], [recent, 4]), 'relatime', NOW), false, 'both 1 ns before');
  t.equal(readStampsAtime(times([NOW - 86_400, 0], [0, 0], [0, 0]), 'relatime', NOW), true, 'a day old');
  t.equal(readStampsAtime(times([NOW - 86_399, 0], [0, 0], [0, 0]), 'relatime', NOW), false, 'a second short of a day');
  t.end();
});

t.test('strictatime always stamps, noatime never', (t) => {
  const st = times([NOW, 0], [0, 0], [0, 0]);
  t.equal(readStampsAtime(st, 'strictatime', NOW), true);
  t.equal(readStampsAtime(times([0, 0], [NOW, 0], [NOW, 0]), 'noatime', NOW), false);
  t.end();
});
