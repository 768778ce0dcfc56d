// Directory operations: readdir, mkdir, rmdir, fsyncdir. opendir/releasedir are left to libfuse: they
// would only cost a hand-off to JS per listing (each request crossing costs ~50-200 µs).
import type { FuseOps, FuseStat } from '../sys/fuse-native.js';
import { fail } from './errno.js';
import { mkdirAt, rmdirAt } from './names.js';
import { syncDir } from './ops-file.js';
import type { Overlay } from './overlay.js';
import { listDir, listingStats } from './readdir.js';
import { reply, replyMany } from './reply.js';

export function dirOps(ovl: Overlay): Partial<FuseOps> {
  return {
    readdir(path, cb) {
      replyMany('readdir', cb, () => {
        const listing = listDir(ovl, path);
        // A listing the kernel fails part way (Listing.error) fails whole: libfuse 2.9 reads a dir
        // in one call, with no way to fail a later getdents, and a silently short one would hide
        // names the kernel's caller learns are missing.
        if (listing.error) fail(listing.error, `${path}: a name the listing looks up is refused`);
        // libfuse takes d_ino from each stat's ino (use_ino): listingStats gives it the listing's d_ino.
        return [listing.names, listingStats(listing)] as [string[], FuseStat[]];
      });
    },
    mkdir(path, mode, cb) {
      reply('mkdir', cb, () => mkdirAt(ovl, path, mode));
    },
    rmdir(path, cb) {
      reply('rmdir', cb, () => rmdirAt(ovl, path));
    },
    fsyncdir(path, datasync, _fh, cb) {
      reply('fsyncdir', cb, () => syncDir(ovl, path, datasync !== 0));
    },
  };
}
