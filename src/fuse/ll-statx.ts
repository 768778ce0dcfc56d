// FUSE_STATX for the node-based transport: GETATTR's answer (the overlay's inode number, link
// count and the rest, by the same code) plus what only statx(2) carries, taken from the real
// object the overlay shows, as ovl_getattr does by asking vfs_getattr of its real path: the birth
// time and STATX_ATTR_* bits of the upper (or top lower) file itself, so a copy-up's btime is the
// time of the copy-up.
import { STATX_BASIC_STATS, STATX_BTIME, type Statx, statxOf, statxOfFd } from '../sys/index.js';
import type { LlCore } from './ll-core.js';
import { getAttr, ownHandle } from './ll-files.js';
import { lookupPath } from './lookup.js';
import { current } from './ops-file.js';
import type { StatxReply } from './session/filesystem.js';

const NS = 1_000_000_000n;

/** statx of the object `nodeid` shows: through the open handle GETATTR would use, else its merged path's top object. */
function realStatx(core: LlCore, nodeid: number, fh: number | null): Statx {
  const rec = core.rec(nodeid);
  const path = core.table.path(rec);
  const handle = ownHandle(core, rec, fh) ?? (path === null ? core.handleOf(rec) : undefined);
  if (handle !== undefined) {
    const h = current(core.ovl, handle);
    return statxOfFd(h.fd, h.path);
  }
  return statxOf(lookupPath(core.ovl, core.pathOf(rec)).hits[0]!.real);
}

export function statxAttr(core: LlCore, nodeid: number, fh: number | null): StatxReply {
  const reply = getAttr(core, nodeid, fh);
  const sx = realStatx(core, nodeid, fh);
  const btime = sx.btimeNs ?? 0n;
  // Floor division, so a birth time before 1970 keeps 0 ≤ nsec < 1e9.
  const sec = btime / NS - (btime < 0n && btime % NS !== 0n ? 1n : 0n);
  return {
    ...reply,
    mask: STATX_BASIC_STATS | (sx.mask & STATX_BTIME),
    btimeSec: Number(sec),
    btimeNsec: Number(btime - sec * NS),
    attributes: Number(sx.attributes),
    attributesMask: Number(sx.attributesMask),
  };
}
