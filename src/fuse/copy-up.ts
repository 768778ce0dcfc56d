// Copy-up: give a merged object an upper copy before it is modified. The copy is built under
// `workdir/work` (type, owner, mode, xattrs, origin, times) and renamed into place, so a crash
// leaves either no upper copy or a complete one; lower layers are only ever read.
import {
  type BigIntStats,
  lchownSync,
  lstatSync,
  chmodSync,
  mkdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { copyFileNoatime } from '../sys/dirents.js';
import { fileHandle } from '../sys/handle.js';
import { getXattr, listXattrs, mknod, rename2, setTimes, setXattr, timeFromNs } from '../sys/index.js';
import { fail } from './errno.js';
import { encodeOrigin } from './inode.js';
import { markImpure } from './origin-fix.js';
import { realPath, splitPath } from './layers.js';
import { type Node, lookupDir, lookupPath, lstatOrNull } from './lookup.js';
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

function buildObject(src: string, st: BigIntStats, tmp: string): void {
  const type = Number(st.mode) & S_IFMT;
  if (type === S_IFDIR) mkdirSync(tmp, { mode: 0o700 });
  else if (type === S_IFREG) copyFileNoatime(src, tmp, Number(st.size));
  else if (type === S_IFLNK) symlinkSync(readLowerLink(src, st.atimeNs), tmp);
  // fifos, sockets and device nodes keep their type; they carry no data to copy
  else mknod(tmp, Number(st.mode) & (S_IFMT | 0o7777), st.rdev);
}

function copyXattrs(ovl: Overlay, src: string, dst: string): void {
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

export { markImpure } from './origin-fix.js';

/** Copy `node` up; returns the inode its origin names, for a non-dir given one (else null). */
function copyUpOne(ovl: Overlay, node: Node): bigint | null {
  const src = node.hits[0]!;
  // A cached dir node carries the stat of its lookup; copy what the lower has now.
  const st = node.fresh ? src.st : lstatSync(src.real, { bigint: true });
  const type = Number(st.mode) & S_IFMT;
  const [parent] = splitPath(node.path);
  const parentUpper = upperPath(ovl, parent);
  const parentSt = lstatOrNull(parentUpper);
  const tmp = ovl.tempPath();
  try {
    buildObject(src.real, st, tmp);
    lchownSync(tmp, Number(st.uid), Number(st.gid));
    if (type !== S_IFLNK) chmodSync(tmp, Number(st.mode) & 0o7777);
    copyXattrs(ovl, src.real, tmp);
    // index=off: the kernel writes no origin for a lower hardlink, whose aliases copy up apart.
    if (type === S_IFDIR || st.nlink === 1n) setXattr(tmp, ovl.xattrs.name('origin'), encodeOrigin(fileHandle(src.real)));
    setTimes(tmp, timeFromNs(st.atimeNs), timeFromNs(st.mtimeNs));
    rename2(tmp, upperPath(ovl, node.path), ['noreplace']);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  markImpure(ovl, parentUpper);
  // Copy-up is invisible: the upper parent keeps its times, as with the kernel.
  if (parentSt) setTimes(parentUpper, timeFromNs(parentSt.atimeNs), timeFromNs(parentSt.mtimeNs));
  ovl.handles.followCopyUp(objectKey(st), upperPath(ovl, node.path));
  ovl.onCopyUp?.(node.path);
  return type !== S_IFDIR && st.nlink === 1n ? st.ino : null;
}

/** Make sure the merged object at `path` has an upper copy; returns its node afterwards. */
export function copyUp(ovl: Overlay, path: string): Node {
  const node = path === '/' ? lookupDir(ovl, '/') : lookupPath(ovl, path);
  if (node.hits[0]!.layer.upper) return node;
  if (!ovl.stack.upper) fail('EROFS', path);
  copyUp(ovl, splitPath(path)[0]);
  const origin = copyUpOne(ovl, node);
  ovl.invalidate(path);
  const copied = lookupPath(ovl, path);
  // The merged file keeps the inode number of the lower object its origin names (inode.ts): known
  // here, so it need not be read back and decoded by handle (getxattr + open_by_handle_at).
  const top = copied.hits[0]!;
  if (origin !== null && top.layer.upper) ovl.originInos.set(`${top.st.ino}:${top.st.ctimeNs}`, origin);
  return copied;
}
