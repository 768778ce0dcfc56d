// O_TMPFILE as kernel overlayfs does it since 6.6 (ovl_tmpfile): the parent is copied up and the
// unnamed file is created in the upper parent dir itself, owned by the caller; nothing is written
// to the upper until linkat(AT_EMPTY_PATH) gives it a name, which is an ordinary new name there
// (a whiteout under it is replaced, as create does). Closing it unlinked leaves no trace.
import { closeSync, constants, fchownSync } from 'node:fs';
import { chmodSync, openSync } from '../sys/fs-bytes.js';
import { fstatReal } from '../sys/real-stat.js';
import { withUmask } from '../sys/nodes.js';
import { O_TMPFILE, linkFd } from '../sys/space.js';
import { copyUp, upperPath } from './copy-up.js';
import { createAt, newOwner } from './create.js';
import { fail } from './errno.js';
import { splitPath } from './layers.js';
import { lookupPath } from './lookup.js';
import { isReadWrite, isWriteOnly } from './ops-file.js';
import type { Overlay } from './overlay.js';
import { refuseCreateIn, refuseLinkOfUpperFd, refuseNameIn } from './protect.js';

const { O_CREAT, O_NOCTTY } = constants;
/** Flags that were the caller's kernel's business (O_TMPFILE itself is added here; O_EXCL stays). */
const STRIP = O_TMPFILE | O_CREAT | O_NOCTTY;

/**
 * An unnamed file in merged dir `parentPath`, opened with `flags`, mode `mode`; returns its
 * handle. `umask` as NewObject's (undefined: `mode` has it applied already; otherwise the upper
 * filesystem applies it, or the parent's default ACL). O_EXCL in `flags` makes it unlinkable, as
 * on any filesystem.
 */
export function tmpfileHandle(ovl: Overlay, parentPath: string, mode: number, flags: number, umask?: number): number {
  const dir = lookupPath(ovl, parentPath);
  if (!dir.isDir) fail('ENOTDIR', parentPath);
  // vfs_tmpfile asks for write access to the dir: none to an immutable one.
  refuseCreateIn(ovl, dir, parentPath);
  const parent = copyUp(ovl, parentPath);
  const fd = withUmask(umask ?? 0, () => openSync(upperPath(ovl, parentPath), O_TMPFILE | (flags & ~STRIP), mode & 0o7777));
  try {
    const [uid, gid] = newOwner(ovl, parent);
    const rwx = mode & 0o6000 ? fstatReal(fd).mode & 0o777 : 0;
    fchownSync(fd, uid, gid);
    // chown cleared any set-id bits the caller asked for.
    if (mode & 0o6000) chmodSync(`/proc/self/fd/${fd}`, (mode & 0o7000) | rwx);
    const st = fstatReal(fd);
    return ovl.handles.add({ fd, path: parentPath, upper: true, lowerKey: null, ino: ovl.inos.of(st.ino, ovl.stack.upper!), extraFds: [], writable: true, readWrite: isReadWrite(flags), writeOnly: isWriteOnly(flags) });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** linkat(AT_EMPTY_PATH) of the unnamed file behind handle `fh` to merged `path` (EEXIST if taken). */
export function linkTmpfile(ovl: Overlay, fh: number, path: string): void {
  const h = ovl.handles.get(fh) ?? fail('EBADF', String(fh));
  // vfs_link: may_create in the dir first, then the file's own flags (chattr'ed through its fd).
  refuseNameIn(ovl, splitPath(path)[0], path);
  refuseLinkOfUpperFd(ovl, h.fd, path);
  createAt(ovl, path, { make: (real) => linkFd(h.fd, real), chown: false });
  ovl.handles.setPath(fh, path);
}
