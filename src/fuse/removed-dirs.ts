// Dirs removed (rmdir, or replaced by a rename) while the kernel still holds their node: a
// process's cwd, an open dir fd. The kernel's overlay keeps answering for such a dir through the
// dentry it holds: it stats (a lower or merged dir's link count as before; one only in the upper,
// its inode deleted: link count 0, size 0), lists empty (no dots either), reads its xattrs and
// ACL (the FUSE client's permission checks of `..` from a removed cwd ask for it), and applies
// chmod, chown, utimes and xattr changes to the upper inode it holds, which no path reaches any
// more, so only the same handle sees them. A dir with no upper copy it would have to copy up first,
// which meets the whiteout its removal left: ENOTDIR. With no name and no fd of it (a FUSE
// OPENDIR keeps none here), the daemon keeps what it would read at the removal, and applies such
// changes to that. One stat and one listxattr more per removal of a held dir.
import { nameByteLength } from '../format/byte-names.js';
import { fail } from './errno.js';
import type { Node } from './lookup.js';
import type { Attr, SetAttr, XattrNames } from './session/filesystem.js';
import type { RealStat } from '../sys/real-stat.js';

const S_IFMT = 0o170000;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

export interface RemovedDir {
  /** Its attributes as now shown. */
  attr: Attr;
  /** The real stat they came from (statx's btime and attribute bits). */
  st: RealStat;
  /** It had an upper copy (the inode the kernel's overlay changes); else changes are ENOTDIR. */
  upper: boolean;
  /** Its xattrs by their user-visible names (the overlay's own hidden, escaped ones unescaped). */
  xattrs: Map<string, Buffer>;
}

export class RemovedDirs {
  private readonly dirs = new Map<number, RemovedDir>();

  get(id: number): RemovedDir | undefined {
    return this.dirs.get(id);
  }

  drop(id: number): void {
    this.dirs.delete(id);
  }

  /**
   * What `id` (resolved as `node`, with `attr` from `st` and `xattrs`) is once removed: kept when
   * `commit` is called, after the removal succeeded. An upper copy's inode is deleted: link count
   * and size 0, ctime stamped.
   */
  prepare(id: number, node: Node, attr: Attr, st: RealStat, xattrs: Map<string, Buffer>): () => void {
    const upper = node.hits[0]!.layer.upper;
    const upperOnly = upper && node.hits.length === 1;
    return () => {
      const a = { ...attr };
      if (upper) {
        a.size = 0;
        stamp(a);
      }
      if (upperOnly) a.nlink = 0;
      this.dirs.set(id, { attr: a, st, upper, xattrs });
    };
  }

  /** SETATTR through it (see the header): undefined when `id` is not such a dir. */
  setAttr(id: number, set: SetAttr): Attr | undefined {
    const kept = this.changeable(id);
    if (kept === undefined) return undefined;
    const a = { ...kept.attr };
    const [sec, nsec] = stamp(a);
    if (set.mode !== undefined) a.mode = (a.mode & S_IFMT) | (set.mode & 0o7777);
    if (set.uid !== undefined) a.uid = set.uid;
    if (set.gid !== undefined) a.gid = set.gid;
    if (set.atime !== undefined) [a.atimeSec, a.atimeNsec] = set.atime === 'now' ? [sec, nsec] : [set.atime.sec, set.atime.nsec];
    if (set.mtime !== undefined) [a.mtimeSec, a.mtimeNsec] = set.mtime === 'now' ? [sec, nsec] : [set.mtime.sec, set.mtime.nsec];
    kept.attr = a;
    return a;
  }

  /** GETXATTR: the value or null (ENODATA); undefined when `id` is not such a dir. */
  getXattr(id: number, name: string): Buffer | null | undefined {
    const kept = this.dirs.get(id);
    return kept === undefined ? undefined : (kept.xattrs.get(name) ?? null);
  }

  /** LISTXATTR (before the caller's filter of trusted.* names); undefined when `id` is not such a dir. */
  listXattrs(id: number): XattrNames | undefined {
    const kept = this.dirs.get(id);
    if (kept === undefined) return undefined;
    const names = [...kept.xattrs.keys()];
    return { names, realSize: names.reduce((n, s) => n + nameByteLength(s) + 1, 0) };
  }

  /** SETXATTR (`value`) or REMOVEXATTR (null) through it; false when `id` is not such a dir. */
  changeXattr(id: number, name: string, value: Buffer | null, flags = 0): boolean {
    const kept = this.changeable(id);
    if (kept === undefined) return false;
    const had = kept.xattrs.has(name);
    if (value === null) {
      if (!had) fail('ENODATA', `node ${id} (removed)`);
      kept.xattrs.delete(name);
    } else {
      if (flags & XATTR_CREATE && had) fail('EEXIST', `node ${id} (removed)`);
      if (flags & XATTR_REPLACE && !had) fail('ENODATA', `node ${id} (removed)`);
      kept.xattrs.set(name, Buffer.from(value));
    }
    kept.attr = { ...kept.attr };
    stamp(kept.attr);
    return true;
  }

  private changeable(id: number): RemovedDir | undefined {
    const kept = this.dirs.get(id);
    if (kept !== undefined && !kept.upper) fail('ENOTDIR', `node ${id} (removed)`);
    return kept;
  }
}

/** ctime now, on `a`; returns now as [sec, nsec]. */
function stamp(a: Attr): [number, number] {
  const now = Date.now();
  const sec = Math.floor(now / 1000);
  const nsec = (now % 1000) * 1e6;
  a.ctimeSec = sec;
  a.ctimeNsec = nsec;
  return [sec, nsec];
}
