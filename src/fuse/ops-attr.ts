// Attribute operations: getattr/fgetattr, chmod, chown, utimens, truncate, readlink, statfs.
// Reads never copy up; every change copies up first and then applies to the upper copy.
import { decodeName } from '../format/byte-names.js';
import { fuseStat, type FuseOps, type FuseTime } from '../sys/fuse-native.js';
import { fstatReal, timeFromNs, type TimeSpec } from '../sys/index.js';
import { changeMode, changeOwner, changeTimes, overlayStatfs, readLink, truncatePath } from './attrs.js';
import { fail } from './errno.js';
import { hiddenStat } from './hidden.js';
import { lookupPath } from './lookup.js';
import { current, refuseTruncateOfRunning, settledReply } from './ops-file.js';
import type { Overlay } from './overlay.js';
import { nodeStat } from './readdir.js';
import { reply } from './reply.js';

/** A utimens time (exact ns, or a UTIME_NOW/UTIME_OMIT marker) as a timespec. */
export function timeSpec(t: FuseTime): TimeSpec {
  if (t === 'now' || t === 'omit') return t;
  return timeFromNs(t);
}

export function attrOps(ovl: Overlay): Partial<FuseOps> {
  return {
    getattr(path, cb) {
      reply('getattr', cb, () => hiddenStat(ovl, path) ?? nodeStat(ovl, lookupPath(ovl, path)) ?? fail('ENOENT', path));
    },
    fgetattr(path, fh, cb) {
      reply('fgetattr', cb, () => {
        if (!ovl.handles.get(fh)) return nodeStat(ovl, lookupPath(ovl, path ?? fail('EBADF', '?'))) ?? fail('ENOENT', path ?? '?');
        // Follow a copy-up made since the open, or the old fd would report the lower's size.
        const h = current(ovl, fh);
        // A metacopy file's handle reads its data file but is stat'ed as itself (Handle.meta).
        const stat = fuseStat(fstatReal(h.meta ?? h.fd), h.ino);
        if (h.meta !== undefined) stat.blocks = fstatReal(h.fd).blocks;
        return stat;
      });
    },
    chmod(path, mode, cb) {
      reply('chmod', cb, () => changeMode(ovl, path, mode));
    },
    chown(path, uid, gid, cb) {
      reply('chown', cb, () => changeOwner(ovl, path, uid, gid));
    },
    utimens(path, atime, mtime, cb) {
      reply('utimens', cb, () => changeTimes(ovl, path, timeSpec(atime), timeSpec(mtime)));
    },
    truncate(path, size, cb) {
      const refuse = () => {
        if (ovl.handles.executing().size === 0) return;
        const top = lookupPath(ovl, path).hits[0]!;
        if (top.layer.upper) refuseTruncateOfRunning(ovl, top.st, path);
      };
      settledReply('truncate', cb, refuse, () => truncatePath(ovl, path, size));
    },
    readlink(path, cb) {
      // The link's bytes as the core holds names; ops-latin1-names.ts hands them to fuse-native.
      reply('readlink', cb, () => decodeName(readLink(ovl, path)));
    },
    statfs(path, cb) {
      reply('statfs', cb, () => {
        const s = overlayStatfs(ovl);
        return { ...s, frsize: s.bsize, favail: s.ffree, fsid: 0, flag: 0 };
      });
    },
  };
}
