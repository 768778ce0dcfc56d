// FUSE_STATX for the node-based transport: GETATTR's answer (the overlay's inode number, link
// count and the rest, by the same code) plus what only statx(2) carries, taken from the real
// object the overlay shows, as ovl_getattr does by asking vfs_getattr of its real path: the birth
// time and STATX_ATTR_* bits of the upper (or top lower) file itself, so a copy-up's btime is the
// time of the copy-up.
import { type RealStat, STATX_BASIC_STATS, STATX_BTIME, fstatReal } from '../sys/index.js';
import { fail } from './errno.js';
import type { LlCore } from './ll-core.js';
import { attrOf, handleAttr } from './ll-attr.js';
import { ownHandle } from './ll-files.js';
import { lookupPath, topStat } from './lookup.js';
import { current } from './ops-file.js';
import type { Attr, StatxReply } from './session/filesystem.js';

/**
 * GETATTR's attributes and the statx they came from (birth time and attribute bits included):
 * through the open handle GETATTR would use, else from one resolution of the merged path (a
 * STATX follows the LOOKUP of every file whose btime a caller asks, e.g. each of node's lstat
 * calls: half the requests of a lookup by path, so the path is resolved once, not once per half,
 * and the object stat-ed once).
 */
function attrAndStat(core: LlCore, nodeid: number, fh: number | null): { attr: Attr; st: RealStat } {
  const rec = core.rec(nodeid);
  const path = core.nodePath(rec);
  const handle = ownHandle(core, rec, fh) ?? (path === null ? core.handleOf(rec) : undefined);
  if (handle !== undefined) {
    const h = current(core.ovl, handle);
    // A metacopy file's handle reads its data file but is stat'ed as itself (Handle.meta).
    const st = fstatReal(h.meta ?? h.fd);
    return { attr: h.meta === undefined ? attrOf(st, h.ino) : handleAttr(core.ovl, handle), st };
  }
  // A dir removed while held: as it was at the removal (removed-dirs.ts).
  const removed = path === null ? core.removed.get(rec.id) : undefined;
  if (removed !== undefined) return { attr: removed.attr, st: removed.st };
  const node = lookupPath(core.ovl, path ?? core.pathOf(rec));
  const st = topStat(node) ?? fail('ENOENT', node.path);
  return { attr: core.attrOfNode(rec, node, st), st };
}

export function statxAttr(core: LlCore, nodeid: number, fh: number | null): StatxReply {
  const { attr, st } = attrAndStat(core, nodeid, fh);
  return {
    attrValidMs: core.attrMs(core.rec(nodeid)),
    attr,
    mask: STATX_BASIC_STATS | (st.mask & STATX_BTIME),
    btimeSec: st.btimeSec,
    btimeNsec: st.btimeNsec,
    attributes: st.attributes,
    attributesMask: st.attributesMask,
  };
}
