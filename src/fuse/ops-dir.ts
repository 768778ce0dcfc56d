// Directory operations: readdir, mkdir, rmdir. opendir/releasedir are left to libfuse: they
// would only cost a hand-off to JS per listing (each request crossing costs ~50-200 µs).
import { mkdirSync } from 'node:fs';
import type { FuseOps, FuseStat } from '../sys/fuse-native.js';
import { createAt, removeAt } from './create.js';
import { fail } from './errno.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';
import { listDir, mergedNames } from './readdir.js';
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
      reply('mkdir', cb, () => {
        createAt(ovl, path, { isDir: true, make: (real) => mkdirSync(real, { mode: mode & 0o7777 }), mode });
      });
    },
    rmdir(path, cb) {
      reply('rmdir', cb, () => {
        if (path === '/') fail('EBUSY', path);
        const node = lookupPath(ovl, path);
        if (!node.isDir) fail('ENOTDIR', path);
        if (mergedNames(ovl, node).length > 0) fail('ENOTEMPTY', path);
        removeAt(ovl, path, node);
      });
    },
  };
}
