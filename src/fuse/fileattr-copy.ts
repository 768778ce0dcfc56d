// A lower object's inode flags at its copy-up, as ovl_copy_fileattr carries them: append-only and
// immutable go to the copy's `protattr` (an upper inode with them could not be linked into place
// or given overlay xattrs; protect.ts refuses what they forbid), sync and noatime onto the copy
// itself. Other flags stay behind, as with the kernel.
import { closeSync } from 'node:fs';
import { errnoCodeOf } from '../errors.js';
import {
  FS_APPEND_FL,
  FS_IMMUTABLE_FL,
  FS_NOATIME_FL,
  FS_SYNC_FL,
  type XattrTarget,
  flagsOrNull,
  openForFileattr,
  setFileattrOf,
  setXattr,
} from '../sys/index.js';
import type { Overlay } from './overlay.js';
import { bitsToProtattr } from './protattr-bits.js';

/** OVL_COPY_FS_FLAGS_MASK: what a copy-up sets on the copy itself. */
const COPIED_FLAGS = FS_SYNC_FL | FS_NOATIME_FL;

/**
 * ovl_copy_fileattr, for a regular file or dir being copied up from `src` to `dst` (open fds or
 * paths): nothing when the lower's filesystem keeps no flags or the lower has none of the four.
 * A `protattr` the upper cannot hold (EPERM) is skipped, as the kernel only warns.
 */
export function copyFileattr(ovl: Overlay, src: XattrTarget, dst: XattrTarget): void {
  const flags = onFd(src, true, (fd) => flagsOrNull(fd, String(src)));
  if (flags === null || (flags & (COPIED_FLAGS | FS_APPEND_FL | FS_IMMUTABLE_FL)) === 0) return;
  const prot = bitsToProtattr(flags);
  if (prot !== null) {
    try {
      setXattr(dst, ovl.xattrs.name('protattr'), prot);
    } catch (err) {
      if (errnoCodeOf(err) !== 'EPERM') throw err;
    }
  }
  if ((flags & COPIED_FLAGS) === 0) return;
  onFd(dst, false, (fd) => {
    const now = flagsOrNull(fd, String(dst));
    if (now === null) return;
    const word = Buffer.alloc(4);
    word.writeUInt32LE(((now & ~COPIED_FLAGS) | (flags & COPIED_FLAGS)) >>> 0, 0);
    setFileattrOf(fd, 'flags', word, String(dst));
  });
}

/** `use` on `target` if it is an fd, else on it opened for an ioctl (and closed after). */
function onFd<T>(target: XattrTarget, noatime: boolean, use: (fd: number) => T): T {
  if (typeof target === 'number') return use(target);
  const fd = openForFileattr(target, noatime);
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}
