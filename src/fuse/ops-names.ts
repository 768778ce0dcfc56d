// fuse-native's name callbacks (unlink, symlink, mknod, link) over the shared core (names.ts);
// rename lives in rename.ts.
import type { FuseOps } from '../sys/fuse-native.js';
import { forgetHidden } from './hidden.js';
import { linkAt, mknodAt, symlinkAt, unlinkAt } from './names.js';
import type { Overlay } from './overlay.js';
import { reply } from './reply.js';

export function nameOps(ovl: Overlay): Partial<FuseOps> {
  return {
    unlink(path, cb) {
      reply('unlink', cb, () => {
        if (forgetHidden(ovl, path)) return;
        unlinkAt(ovl, path);
      });
    },
    symlink(target, path, cb) {
      reply('symlink', cb, () => symlinkAt(ovl, path, target));
    },
    mknod(path, mode, dev, cb) {
      reply('mknod', cb, () => mknodAt(ovl, path, mode, dev));
    },
    link(src, dest, cb) {
      reply('link', cb, () => linkAt(ovl, src, dest));
    },
  };
}
