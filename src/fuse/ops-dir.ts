// Directory operations: readdir, mkdir, rmdir. opendir/releasedir are left to libfuse: they
// would only cost a hand-off to JS per listing (each request crossing costs ~50-200 µs).
import type { FuseOps, FuseStat } from '../sys/fuse-native.js';
import { mkdirAt, rmdirAt } from './names.js';
import type { Overlay } from './overlay.js';
import { listDir } from './readdir.js';
import { reply, replyMany } from './reply.js';

export function dirOps(ovl: Overlay): Partial<FuseOps> {
  return {
    readdir(path, cb) {
      replyMany('readdir', cb, () => {
        const listing = listDir(ovl, path);
        return [listing.names, listing.stats] as [string[], FuseStat[]];
      });
    },
    mkdir(path, mode, cb) {
      reply('mkdir', cb, () => mkdirAt(ovl, path, mode));
    },
    rmdir(path, cb) {
      reply('rmdir', cb, () => rmdirAt(ovl, path));
    },
  };
}
