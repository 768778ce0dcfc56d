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
// mkdir of one name is no change of type to the kernel, which saw both. A rename moves what was
// remembered below its source to its destination, as libfuse moves its nodes (and the kernel its
// dentries); an rmdir forgets its subtree. Forgetting more than that would let every name the
// kernel still holds answer a new type unchecked: EIO again.
import type { FuseOps } from '../sys/fuse-native.js';
import { errnoNumber } from '../errors.js';
import type { Overlay } from './overlay.js';
import { PathTree } from './path-tree.js';

const S_IFMT = 0o170000;
const ESTALE = -errnoNumber('ESTALE');
/** Bound on remembered paths; past it everything is forgotten (a type check skipped once). */
const MAX_PATHS = 200_000;

/** The type last answered for each path, and which of them lie below a dir. */
class TypeMemory {
  private readonly types = new Map<string, number>();
  private readonly tree = new PathTree();

  get(path: string): number | undefined {
    return this.types.get(path);
  }

  set(path: string, type: number): void {
    if (this.types.size >= MAX_PATHS) this.clear();
    this.types.set(path, type);
    this.tree.add(path);
  }

  /** Forget `path` and every path below it (and its place in the tree: names come and go). */
  forget(path: string): void {
    this.types.delete(path);
    for (const p of this.tree.takeBelow(path)) this.types.delete(p);
  }

  /** What was remembered at and below `src` now holds at and below `dest`. */
  move(src: string, dest: string): void {
    if (src === dest) return;
    this.forget(dest);
    const moved: Array<[string, number]> = [];
    for (const p of [src, ...this.tree.takeBelow(src)]) {
      const type = this.types.get(p);
      if (type === undefined) continue;
      this.types.delete(p);
      moved.push([dest + p.slice(src.length), type]);
    }
    for (const [p, type] of moved) this.set(p, type);
  }

  clear(): void {
    this.types.clear();
    this.tree.clear();
  }
}

function first(set: ReadonlySet<number>): number | undefined {
  for (const v of set) return v;
  return undefined;
}

export function withTypeChecks(ovl: Overlay, ops: Partial<FuseOps>): Partial<FuseOps> {
  const memory = new TypeMemory();
  // Caches of the path dropped, ESTALE once: the VFS looks the name up again.
  const stale = (path: string, cb: (err: number) => void) => {
    memory.forget(path);
    ovl.invalidate(path);
    cb(ESTALE);
  };
  const forget = (path: string) => memory.forget(path);
  const { getattr, fgetattr, unlink, rmdir, rename, mkdir, mknod, symlink, link, create } = ops;
  return {
    ...ops,
    getattr: getattr && ((path, cb) =>
      getattr(path, (err, st) => {
        if (err !== 0 || st === undefined) return cb(err, st);
        const type = st.mode & S_IFMT;
        const before = memory.get(path);
        if (before !== undefined && before !== type) {
          // A file still open under this name: the kernel's overlay answers fstat(2) from the
          // inode the fd holds, and its stat(2) from the dentry it still caches, so both get the
          // open object. libfuse sends either as a GETATTR of the path, and an fd call does not
          // retry ESTALE: answer the open file's attributes, and the type check stays armed.
          const fh = first(ovl.handles.onPath(path));
          if (fh !== undefined && fgetattr) {
            return fgetattr(path, fh, (e, held) =>
              e === 0 && held !== undefined && (held.mode & S_IFMT) === before ? cb(0, held) : stale(path, cb));
          }
          return stale(path, cb);
        }
        if (before === undefined) memory.set(path, type);
        cb(0, st);
      })),
    unlink: unlink && ((path, cb) => (forget(path), unlink(path, cb))),
    // Only once done: a failed rmdir or rename changes nothing in libfuse or the kernel.
    rmdir: rmdir && ((path, cb) =>
      rmdir(path, (err) => {
        if (err === 0) memory.forget(path);
        cb(err);
      })),
    rename: rename && ((src, dest, cb) =>
      rename(src, dest, (err) => {
        if (err === 0) memory.move(src, dest);
        cb(err);
      })),
    mkdir: mkdir && ((path, mode, cb) => (forget(path), mkdir(path, mode, cb))),
    mknod: mknod && ((path, mode, dev, cb) => (forget(path), mknod(path, mode, dev, cb))),
    symlink: symlink && ((target, path, cb) => (forget(path), symlink(target, path, cb))),
    link: link && ((src, dest, cb) => (forget(dest), link(src, dest, cb))),
    create: create && ((path, mode, flags, cb) => (forget(path), create(path, mode, flags, cb))),
  };
}
