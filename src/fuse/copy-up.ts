// Copy-up: give a merged object an upper copy before it is modified. The copy is built in
// `workdir/work` (type, owner, mode, xattrs, origin, times) and only then given its upper name (a
// regular file as an O_TMPFILE linked into place, anything else renamed), so a crash leaves
// either no upper copy or a complete one; lower layers are only ever read.
import {
  type BigIntStats,
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { copyFdData } from '../sys/dirents.js';
import { fileHandle } from '../sys/handle.js';
import { type XattrTarget, getXattr, listXattrs, mknod, rename2, setTimes, setXattr, timeFromNs } from '../sys/index.js';
import { O_TMPFILE, linkFd } from '../sys/space.js';
import { fail } from './errno.js';
import { encodeOrigin } from './inode.js';
import { markImpure } from './origin-fix.js';
import { realPath, splitPath } from './layers.js';
import { type Node, lookupDir, lookupPath, lstatOrNull, upperFileNode } from './lookup.js';
import type { Overlay } from './overlay.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** Upper path of a merged path (the upper mirrors merged paths; redirects only bend lowers). */
export function upperPath(ovl: Overlay, path: string): string {
  const upper = ovl.stack.upper ?? fail('EROFS', path);
  return realPath(upper.root, path);
}

/** `dev:ino` key of a real object, for fds that must follow their file into the upper. */
export function objectKey(st: BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

/**
 * readlink(2) of a lower symlink, its atime put back: readlink stamps it (relatime; there is no
 * O_NOATIME for it) and the kernel overlay never touches a lower's atime (it stamps only an
 * upper link's, ovl_update_time). Errors restoring are ignored: a read-only lower had nothing stamped.
 */
export function readLowerLink(real: string, atimeNs: bigint): Buffer {
  const target = readlinkSync(real, { encoding: 'buffer' });
  try {
    setTimes(real, timeFromNs(atimeNs), 'omit');
  } catch {
    // nothing stamped, or nothing we may undo
  }
  return target;
}

/** A non-regular object's copy at `tmp` in the work dir: a dir, symlink, fifo, socket or device node. */
function buildOther(src: string, st: BigIntStats, tmp: string): void {
  const type = Number(st.mode) & S_IFMT;
  if (type === S_IFDIR) mkdirSync(tmp, { mode: 0o700 });
  else if (type === S_IFLNK) symlinkSync(readLowerLink(src, st.atimeNs), tmp);
  // fifos, sockets and device nodes keep their type; they carry no data to copy
  else mknod(tmp, Number(st.mode) & (S_IFMT | 0o7777), st.rdev);
}

/** Lower xattrs onto the copy (`src`, `dst`: paths or open fds), the overlay's own markers left out. */
function copyXattrs(ovl: Overlay, src: XattrTarget, dst: XattrTarget): void {
  for (const name of listXattrs(src)) {
    // The overlay's own markers describe the lower's place in its stack, not the copy.
    if (ovl.xattrs.isPrivate(name)) continue;
    const value = getXattr(src, name);
    if (value === null) continue;
    try {
      setXattr(dst, name, value);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'EOPNOTSUPP' && code !== 'EPERM') throw err;
    }
  }
}

/**
 * Owner, mode, xattrs, origin and times of the lower object (`src`, stat'ed as `st`) onto its
 * copy, in the kernel's order where it matters: chown first (it may clear set-id bits and
 * capabilities), then the mode and xattrs; times last, after everything that stamps them.
 * `src`/`dst` are paths or open fds (a regular file's copy is made on its fds: no path walk each).
 */
function copyMetadata(ovl: Overlay, src: XattrTarget, st: BigIntStats, dst: XattrTarget): void {
  const type = Number(st.mode) & S_IFMT;
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  if (typeof dst === 'number') fchownSync(dst, uid, gid);
  else lchownSync(dst, uid, gid);
  if (typeof dst === 'number') fchmodSync(dst, Number(st.mode) & 0o7777);
  else if (type !== S_IFLNK) chmodSync(dst, Number(st.mode) & 0o7777);
  copyXattrs(ovl, src, dst);
  // index=off: the kernel writes no origin for a lower hardlink, whose aliases copy up apart.
  if (type === S_IFDIR || st.nlink === 1n) setXattr(dst, ovl.xattrs.name('origin'), encodeOrigin(fileHandle(src)));
  setTimes(dst, timeFromNs(st.atimeNs), timeFromNs(st.mtimeNs));
}

/** Errnos of an upper that cannot make unnamed files (the named temp file is used then). */
const NO_TMPFILE = new Set(['EOPNOTSUPP', 'EISDIR', 'EINVAL']);

/**
 * The file the copy is written to, opened for writing: unnamed in the work dir (O_TMPFILE, as the
 * kernel's ovl_copy_up_tmpfile: a crash leaves nothing behind, and the work dir gets no entry to
 * create and remove), or, on an upper without O_TMPFILE, a fresh name there (returned).
 */
function openCopy(ovl: Overlay): { fd: number; tmp: string | null } {
  if (ovl.tmpfileCopyUp) {
    try {
      return { fd: openSync(ovl.stack.work!, O_TMPFILE | constants.O_WRONLY, 0o600), tmp: null };
    } catch (err) {
      if (!NO_TMPFILE.has((err as { code?: string }).code ?? '')) throw err;
      ovl.tmpfileCopyUp = false;
    }
  }
  const tmp = ovl.tempPath();
  return { fd: openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600), tmp };
}

/**
 * A regular file's copy: the data in the kernel (copy_file_range, stopping at the size stat'ed as
 * ovl_copy_up_data does), the metadata on the fds, then the complete file given its upper name
 * `dest` (linkat, or renameat2 NOREPLACE of the named temp). The data is fsynced before the name
 * appears, as ovl_copy_up_file does unless the mount is `volatile`: otherwise a power cut after the
 * link could leave an empty upper file hiding the lower's data the user never changed.
 */
function copyFileUp(ovl: Overlay, src: string, st: BigIntStats, dest: string): BigIntStats {
  // The kernel overlay never touches a lower's atime.
  const fdIn = openSync(src, constants.O_RDONLY | constants.O_NOATIME);
  let out: { fd: number; tmp: string | null } | null = null;
  try {
    out = openCopy(ovl);
    if (st.size !== 0n) {
      copyFdData(fdIn, out.fd, src, Number(st.size));
      if (!ovl.cfg.volatile) fsyncSync(out.fd);
    }
    copyMetadata(ovl, fdIn, st, out.fd);
    if (out.tmp === null) linkFd(out.fd, dest);
    else rename2(out.tmp, dest, ['noreplace']);
    out.tmp = null;
    // The copy as a lookup of `dest` would stat it now (the link moved its ctime and nlink).
    return fstatSync(out.fd, { bigint: true });
  } finally {
    if (out) closeSync(out.fd);
    if (out?.tmp) rmSync(out.tmp, { force: true });
    closeSync(fdIn);
  }
}

/** Any other object: built at a temp name in the work dir and renamed into place. */
function copyOtherUp(ovl: Overlay, src: string, st: BigIntStats, dest: string): void {
  const tmp = ovl.tempPath();
  try {
    buildOther(src, st, tmp);
    copyMetadata(ovl, src, st, tmp);
    rename2(tmp, dest, ['noreplace']);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export { markImpure } from './origin-fix.js';

/** What copyUpOne made: the inode the origin names (a non-dir given one), the copy's stat (a regular file). */
interface Copied {
  origin: bigint | null;
  st: BigIntStats | null;
}

/** Copy `node` (in the merged dir `parent`, already copied up) up. */
function copyUpOne(ovl: Overlay, node: Node, parent: Node): Copied {
  const src = node.hits[0]!;
  // A cached dir node carries the stat of its lookup; copy what the lower has now.
  const st = node.fresh ? src.st : lstatSync(src.real, { bigint: true });
  const type = Number(st.mode) & S_IFMT;
  const parentUpper = parent.hits[0]!.real;
  const parentSt = lstatOrNull(parentUpper);
  const dest = upperPath(ovl, node.path);
  let copySt: BigIntStats | null = null;
  if (type === S_IFREG) copySt = copyFileUp(ovl, src.real, st, dest);
  else copyOtherUp(ovl, src.real, st, dest);
  const nowImpure = markImpure(ovl, parentUpper, parent.hits[0]);
  // Copy-up is invisible: the upper parent keeps its times, as with the kernel.
  if (parentSt) setTimes(parentUpper, timeFromNs(parentSt.atimeNs), timeFromNs(parentSt.mtimeNs));
  ovl.handles.followCopyUp(objectKey(st), dest);
  ovl.onCopyUp?.(node.path, nowImpure);
  return { origin: type !== S_IFDIR && st.nlink === 1n ? st.ino : null, st: copySt };
}

/** Make sure the merged object at `path` has an upper copy; returns its node afterwards. */
export function copyUp(ovl: Overlay, path: string): Node {
  const node = path === '/' ? lookupDir(ovl, '/') : lookupPath(ovl, path);
  if (node.hits[0]!.layer.upper) return node;
  if (!ovl.stack.upper) fail('EROFS', path);
  const parent = copyUp(ovl, splitPath(path)[0]);
  const { origin, st } = copyUpOne(ovl, node, parent);
  ovl.invalidate(path);
  // A regular file's copy was stat'ed on its fd: no lookup by path needed to build its node.
  const copied = st ? upperFileNode(ovl, path, upperPath(ovl, path), st) : lookupPath(ovl, path);
  // The merged file keeps the inode number of the lower object its origin names (inode.ts): known
  // here, so it need not be read back and decoded by handle (getxattr + open_by_handle_at).
  const top = copied.hits[0]!;
  if (origin !== null && top.layer.upper) ovl.originInos.set(`${top.st.ino}:${top.st.ctimeNs}`, origin);
  return copied;
}
