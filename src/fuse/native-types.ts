// The fuse-native transport only. libfuse 2.9's high-level API keeps one node id for a path as
// long as the kernel holds it, so when a layer changed while mounted puts an object of another type
// at a name the kernel has cached (a lower file hidden by a new upper dir, an upper dir replaced
// by a whiteout), the next GETATTR answers the new type under the old node id, and the kernel's
// FUSE client marks that inode bad: EIO (fuse_do_getattr, inode_wrong_type). The /dev/fuse
// transport gives such a name a new node (ll-core.ts) and answers a GETATTR of the old one ESTALE.
//
// Here the daemon remembers the type it last answered for each path and, when it changed, drops
// its caches of the path and answers ESTALE once: the VFS looks the name up again
// (LOOKUP_REVAL), the kernel finds its inode stale and makes a new one from the next answer.
// Names changed through the mount forget what was remembered for them first, so an unlink and
// mkdir of one name is no change of type to the kernel, which saw both.
import type { FuseOps } from '../sys/fuse-native.js';
import { errnoNumber } from '../errors.js';
import type { Overlay } from './overlay.js';

const S_IFMT = 0o170000;
const ESTALE = -errnoNumber('ESTALE');
/** Bound on remembered paths; past it everything is forgotten (a type check skipped once). */
const MAX_PATHS = 200_000;

export function withTypeChecks(ovl: Overlay, ops: Partial<FuseOps>): Partial<FuseOps> {
  const types = new Map<string, number>();
  const forget = (...paths: string[]) => {
    for (const p of paths) types.delete(p);
  };
  // A dir moved or removed takes the names below it along: forget them all (rare).
  const forgetAll = () => types.clear();
  const { getattr, unlink, rmdir, rename, mkdir, mknod, symlink, link, create } = ops;
  return {
    ...ops,
    getattr: getattr && ((path, cb) =>
      getattr(path, (err, st) => {
        if (err !== 0 || st === undefined) return cb(err, st);
        const type = st.mode & S_IFMT;
        const before = types.get(path);
        if (before !== undefined && before !== type) {
          types.delete(path);
          ovl.invalidate(path);
          return cb(ESTALE);
        }
        if (before === undefined) {
          if (types.size >= MAX_PATHS) types.clear();
          types.set(path, type);
        }
        cb(0, st);
      })),
    unlink: unlink && ((path, cb) => (forget(path), unlink(path, cb))),
    rmdir: rmdir && ((path, cb) => (forgetAll(), rmdir(path, cb))),
    rename: rename && ((src, dest, cb) => (forgetAll(), rename(src, dest, cb))),
    mkdir: mkdir && ((path, mode, cb) => (forget(path), mkdir(path, mode, cb))),
    mknod: mknod && ((path, mode, dev, cb) => (forget(path), mknod(path, mode, dev, cb))),
    symlink: symlink && ((target, path, cb) => (forget(path), symlink(target, path, cb))),
    link: link && ((src, dest, cb) => (forget(dest), link(src, dest, cb))),
    create: create && ((path, mode, flags, cb) => (forget(path), create(path, mode, flags, cb))),
  };
}
