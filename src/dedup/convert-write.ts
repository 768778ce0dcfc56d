// Writing one layer's diff as an overlay2 `diff/` dir: kernel whiteouts (char 0/0), opaque dirs,
// in-layer hard links kept, owners, modes, xattrs and nanosecond times, directory times last
// (creating entries inside a directory changes its mtime). Reads the legacy root, writes only
// below `dest`.
// Layer trees' names as bytes, a name that is not UTF-8 included (src/format/byte-names.ts).
import { chmodSync, lchownSync, linkSync, mkdirSync, symlinkSync } from '../sys/fs-bytes.js';
import { join } from 'node:path';
import { OPAQUE_YES, OverlayXattrs } from '../format/index.js';
import { copyFileNoatime, inodeFlagsOf, makeWhiteout, mknod, setInodeFlags, setTimes, setXattr, timeFromNs } from '../sys/index.js';
import { isOverlayPrivate } from './diff-overlay.js';
import { comparePaths } from './paths.js';
import type { DiffItem, Entry } from './types.js';

const TRUSTED = new OverlayXattrs(false);
const S_IFMT_BY_TYPE: Partial<Record<Entry['type'], number>> = {
  fifo: 0o010000,
  char: 0o020000,
  block: 0o060000,
  socket: 0o140000,
};

/** Owner, mode, xattrs, times: in that order, because chown clears setuid bits and capabilities. */
function applyMetadata(abs: string, e: Entry): void {
  lchownSync(abs, e.uid, e.gid);
  if (e.type !== 'symlink') chmodSync(abs, e.perm);
  for (const [name, value] of e.xattrs) if (!isOverlayPrivate(name)) setXattr(abs, name, value);
  if (e.type !== 'dir') setTimes(abs, timeFromNs(e.atimeNs), timeFromNs(e.mtimeNs));
}

/** Create `abs` as `e` from `src`; a copied file's inode flags (chattr's) are returned, 0 for other types. */
function createEntry(abs: string, src: string, e: Entry): number {
  switch (e.type) {
    case 'dir':
      mkdirSync(abs, { mode: 0o700 });
      return 0;
    case 'file':
      // O_NOATIME on the source: converting does not even touch the data root's atimes.
      return copyFileNoatime(src, abs);
    case 'symlink':
      symlinkSync(e.target, abs);
      return 0;
    default:
      mknod(abs, S_IFMT_BY_TYPE[e.type]! | e.perm, BigInt(e.rdev));
      return 0;
  }
}

/**
 * Hard-link `src` as `abs` instead of copying: the inode already carries the entry's owner, mode,
 * xattrs and times. False when the filesystem refuses (another device, EMLINK): copy then.
 */
function tryLink(src: string, abs: string): boolean {
  try {
    linkSync(src, abs);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'EXDEV' || code === 'EMLINK' || code === 'EPERM') return false;
    throw err;
  }
}

export interface WriteDiffOptions {
  /** hard-link regular files to the source instead of copying (the result must never be written) */
  link?: boolean;
}

/**
 * Write `items` (a diff of the layer whose full tree is `srcRoot`) into the existing empty dir
 * `dest`, whose own metadata is taken from `top`.
 */
export function writeDiff(dest: string, srcRoot: string, top: Entry, items: readonly DiffItem[], opts: WriteDiffOptions = {}): void {
  const written = new Map<string, string>();
  const dirs: Array<[string, Entry]> = [['', top]];
  // chattr flags of what is written anew (a link carries its inode's own); set once all else is.
  const flagged: Array<[string, number]> = [];
  const keepFlags = (abs: string, flags: number) => {
    if (flags !== 0) flagged.push([abs, flags]);
  };
  for (const item of [...items].sort((a, b) => comparePaths(a.path, b.path))) {
    const abs = join(dest, item.path);
    if (item.whiteout || item.entry === null) {
      makeWhiteout(abs);
      continue;
    }
    const e = item.entry;
    // A regular inode seen earlier in this layer: keep the hard link instead of a second copy.
    const first = e.type === 'file' ? written.get(e.inode) : undefined;
    if (first !== undefined) {
      linkSync(first, abs);
      continue;
    }
    const linked = opts.link === true && e.type === 'file' && tryLink(join(srcRoot, item.path), abs);
    const flags = linked ? 0 : createEntry(abs, join(srcRoot, item.path), e);
    if (e.type === 'file') written.set(e.inode, abs);
    // A linked inode is the source's own: touching its metadata would only bump the source's ctime.
    if (!linked) applyMetadata(abs, e);
    keepFlags(abs, e.type === 'dir' ? inodeFlagsOf(join(srcRoot, item.path)) : flags);
    if (item.opaque) setXattr(abs, TRUSTED.name('opaque'), OPAQUE_YES);
    if (e.type === 'dir') dirs.push([item.path, e]);
  }
  applyMetadata(dest, top);
  keepFlags(dest, inodeFlagsOf(srcRoot));
  // Deepest first, so setting a child's times cannot disturb its parent's afterwards.
  for (const [path, e] of dirs.sort((a, b) => comparePaths(b[0], a[0]))) {
    setTimes(path ? join(dest, path) : dest, timeFromNs(e.atimeNs), timeFromNs(e.mtimeNs));
  }
  // Last: +i or +a would refuse the data, owner, mode, xattrs, times and entries written above.
  for (const [abs, flags] of flagged) setInodeFlags(abs, flags);
}
