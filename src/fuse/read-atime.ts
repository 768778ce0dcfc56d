// Whether a read the daemon serves from an upper file would stamp its atime now (fs/inode.c:
// atime_needs_update, relatime_need_update, under the upper mount's atime flags). The kernel's
// overlay decides the same rule on the overlay inode (the upper's times) under the overlay mount's
// flags, then stamps the upper file (ovl_file_accessed, ovl_update_time); with both mounts relatime,
// the default, the two agree. Through FUSE a read served from the page cache, or at or past the
// size the client knows, never reaches the daemon; where a read is due to stamp, the daemon serves
// the open itself (ll-passthrough.ts) so the stamp happens.
import type { StatTimes } from '../sys/real-stat.js';

/** How the upper's mount stamps atime: statvfs f_flag ST_NOATIME, ST_RELATIME, or neither (strictatime). */
export type AtimeMode = 'noatime' | 'relatime' | 'strictatime';

const ST_NOATIME = 1024;
const ST_RELATIME = 4096;
const DAY_SEC = 24 * 60 * 60;

export function atimeModeOf(statvfsFlag: number): AtimeMode {
  if (statvfsFlag & ST_NOATIME) return 'noatime';
  return statvfsFlag & ST_RELATIME ? 'relatime' : 'strictatime';
}

/** a ≥ b for (sec, nsec) pairs. */
function notBefore(aSec: number, aNsec: number, bSec: number, bNsec: number): boolean {
  return aSec > bSec || (aSec === bSec && aNsec >= bNsec);
}

/**
 * relatime: the atime moves when it is not after the mtime or the ctime (a change since the last
 * read: a copy-up's chown or write is one), or is a day old; strictatime: always; noatime: never.
 * (The kernel also skips a stamp equal to now, and files marked S_NOATIME: a read served by the
 * daemon then stamps nothing either, so answering true there costs a page cache, not correctness.)
 */
export function readStampsAtime(st: StatTimes, mode: AtimeMode, nowSec: number): boolean {
  if (mode !== 'relatime') return mode === 'strictatime';
  if (notBefore(st.mtimeSec, st.mtimeNsec, st.atimeSec, st.atimeNsec)) return true;
  if (notBefore(st.ctimeSec, st.ctimeNsec, st.atimeSec, st.atimeNsec)) return true;
  return nowSec - st.atimeSec >= DAY_SEC;
}
