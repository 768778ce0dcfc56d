// Attribute operations: getattr/fgetattr, chmod, chown, utimens, truncate, readlink, statfs.
// Reads never copy up; every change copies up first and then applies to the upper copy.
import { chmodSync, fstatSync, lchownSync, readlinkSync, statfsSync, truncateSync } from 'node:fs';
import { fuseStat, type FuseOps, type FuseTime } from '../sys/fuse-native.js';
import { setTimes, timeFromNs, type TimeSpec } from '../sys/index.js';
import { copyUp, readLowerLink, upperPath } from './copy-up.js';
import { fail } from './errno.js';
import { hiddenStat } from './hidden.js';
import { lookupPath } from './lookup.js';
import { current } from './ops-file.js';
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
        const st = fstatSync(h.fd, { bigint: true });
        return fuseStat(st, h.ino);
      });
    },
    chmod(path, mode, cb) {
      reply('chmod', cb, () => chmodSync(upperPath(ovl, copyUp(ovl, path).path), mode & 0o7777));
    },
    chown(path, uid, gid, cb) {
      reply('chown', cb, () => lchownSync(upperPath(ovl, copyUp(ovl, path).path), uid, gid));
    },
    utimens(path, atime, mtime, cb) {
      reply('utimens', cb, () => setTimes(upperPath(ovl, copyUp(ovl, path).path), timeSpec(atime), timeSpec(mtime)));
    },
    truncate(path, size, cb) {
      reply('truncate', cb, () => truncateSync(upperPath(ovl, copyUp(ovl, path).path), size));
    },
    readlink(path, cb) {
      reply('readlink', cb, () => {
        const hit = lookupPath(ovl, path).hits[0]!;
        return hit.layer.upper ? readlinkSync(hit.real) : readLowerLink(hit.real, hit.st.atimeNs);
      });
    },
    statfs(path, cb) {
      reply('statfs', cb, () => {
        const root = (ovl.stack.upper ?? ovl.stack.lowers[0]!).root;
        const s = statfsSync(root);
        return {
          bsize: s.bsize,
          frsize: s.bsize,
          blocks: s.blocks,
          bfree: s.bfree,
          bavail: s.bavail,
          files: s.files,
          ffree: s.ffree,
          favail: s.ffree,
          fsid: 0,
          flag: 0,
          namemax: 255,
        };
      });
    },
  };
}
