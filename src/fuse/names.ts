// Adding and removing names on merged paths, shared by both transports (the rules of where and
// how live in create.ts; rename in rename.ts).
import { linkSync, mkdirSync, symlinkSync } from '../sys/fs-bytes.js';
import { isCharWhiteout } from '../format/index.js';
import { makedev, mknod } from '../sys/index.js';
import { copyUp, markImpure, upperPath } from './copy-up.js';
import { createAt, removeAt } from './create.js';
import { fail } from './errno.js';
import { splitPath } from './layers.js';
import { isPureUpperDir, lookupDir, lookupPath, nameInLower } from './lookup.js';
import { hasOrigin } from './origin-fix.js';
import type { Overlay } from './overlay.js';
import { refuseDelete, refuseLink, refuseNameIn } from './protect.js';
import { checkEmptyDir } from './readdir.js';
import { setLinkRedirect, willBeMetacopy } from './rename.js';

/** The kernel's encoding of rdev in FUSE requests (new_encode_dev) → major/minor. */
export function decodeFuseDev(dev: number): [number, number] {
  return [(dev & 0xfff00) >>> 8, (dev & 0xff) | ((dev >>> 12) & 0xfff00)];
}

/** mkdir(2); `umask` as NewObject's (undefined: `mode` has it applied already). */
export function mkdirAt(ovl: Overlay, path: string, mode: number, umask?: number): void {
  createAt(ovl, path, { isDir: true, make: (real, m) => mkdirSync(real, { mode: m & 0o7777 }), mode, umask });
}

export function symlinkAt(ovl: Overlay, path: string, target: string | Buffer): void {
  createAt(ovl, path, { make: (real) => symlinkSync(target, real) });
}

/** mknod(2) with a FUSE-encoded device number; `umask` as NewObject's. */
export function mknodAt(ovl: Overlay, path: string, mode: number, dev: number, umask?: number): void {
  // A 0/0 char device is a whiteout: the kernel overlay refuses to create one.
  if (isCharWhiteout({ mode, rdev: dev })) fail('EPERM', path);
  const [major, minor] = decodeFuseDev(dev);
  createAt(ovl, path, { make: (real, m) => mknod(real, (mode & 0o170000) | (m & 0o7777), makedev(major, minor)), mode, umask });
}

/** link(2): the source is copied up, and the new name shares its upper inode. */
export function linkAt(ovl: Overlay, src: string, dest: string): void {
  const node = lookupPath(ovl, src);
  if (node.isDir) fail('EPERM', src);
  // vfs_link: may_create in the new dir, then the file's own flags; both before any copy-up.
  refuseNameIn(ovl, splitPath(dest)[0], dest);
  refuseLink(ovl, node, src);
  copyUp(ovl, src);
  if (willBeMetacopy(ovl, node)) setLinkRedirect(ovl, src);
  createAt(ovl, dest, { make: (real) => linkSync(upperPath(ovl, src), real), chown: false });
  // ovl_link → ovl_create_or_link(…, ovl_type_origin(old)): the new parent holds an object with an
  // origin only when the linked file has one; whether that parent merges with a lower is no matter.
  if (hasOrigin(ovl, node)) markImpure(ovl, upperPath(ovl, splitPath(dest)[0]));
  ovl.invalidate(src);
}

export function unlinkAt(ovl: Overlay, path: string): void {
  const node = lookupPath(ovl, path);
  if (node.isDir) fail('EISDIR', path);
  refuseDelete(ovl, lookupDir(ovl, splitPath(path)[0]), node, path);
  removeAt(ovl, path, node);
}

export function rmdirAt(ovl: Overlay, path: string): void {
  if (path === '/') fail('EBUSY', path);
  const node = lookupPath(ovl, path);
  if (!node.isDir) fail('ENOTDIR', path);
  // may_delete comes before the emptiness check (ENOTEMPTY).
  refuseDelete(ovl, lookupDir(ovl, splitPath(path)[0]), node, path);
  const lower = nameInLower(ovl, path);
  // ovl_do_remove ("No need to clean pure upper removed by vfs_rmdir()"): a pure upper dir with
  // nothing of its name below goes unchecked to the upper's rmdir(2), which also counts whiteouts.
  removeAt(ovl, path, node, lower || !isPureUpperDir(ovl, node) ? checkEmptyDir(ovl, node, path) : [], lower);
}
