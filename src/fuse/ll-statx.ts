// FUSE_STATX for the node-based transport: GETATTR's answer (the overlay's inode number, link
// count and the rest, by the same code) plus what only statx(2) carries, taken from the real
// object the overlay shows, as ovl_getattr does by asking vfs_getattr of its real path: the birth
// time and STATX_ATTR_* bits of the upper (or top lower) file itself, so a copy-up's btime is the
// time of the copy-up.
import { STATX_BASIC_STATS, STATX_BTIME, type Statx, statxOf, statxOfFd } from '../sys/index.js';
import type { LlCore } from './ll-core.js';
import { handleAttr } from './ll-attr.js';
import { ownHandle } from './ll-files.js';
import { lookupPath } from './lookup.js';
import { current } from './ops-file.js';
import type { Attr, StatxReply } from './session/filesystem.js';

const NS = 1_000_000_000n;

/**
 * GETATTR's attributes and the statx of the same real object: through the open handle GETATTR
 * would use, else from one resolution of the merged path (a STATX follows the LOOKUP of every
 * file whose btime a caller asks, e.g. each of node's lstat calls: half the requests of a lookup
 * by path, so the path is resolved once, not once per half).
 */
function attrAndStatx(core: LlCore, nodeid: number, fh: number | null): { attr: Attr; sx: Statx } {
  const rec = core.rec(nodeid);
  const path = core.table.path(rec);
  const handle = ownHandle(core, rec, fh) ?? (path === null ? core.handleOf(rec) : undefined);
  if (handle !== undefined) {
    const h = current(core.ovl, handle);
    return { attr: handleAttr(core.ovl, handle), sx: statxOfFd(h.fd, h.path) };
  }
  const node = lookupPath(core.ovl, path ?? core.pathOf(rec));
  return { attr: core.attrOfNode(rec, node), sx: statxOf(node.hits[0]!.real) };
}

export function statxAttr(core: LlCore, nodeid: number, fh: number | null): StatxReply {
  const { attr, sx } = attrAndStatx(core, nodeid, fh);
  const btime = sx.btimeNs ?? 0n;
  // Floor division, so a birth time before 1970 keeps 0 ≤ nsec < 1e9.
  const sec = btime / NS - (btime < 0n && btime % NS !== 0n ? 1n : 0n);
  return {
    attrValidMs: core.attrMs(core.rec(nodeid)),
    attr,
    mask: STATX_BASIC_STATS | (sx.mask & STATX_BTIME),
    btimeSec: Number(sec),
    btimeNsec: Number(btime - sec * NS),
    attributes: Number(sx.attributes),
    attributesMask: Number(sx.attributesMask),
  };
}
