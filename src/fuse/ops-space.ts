// File space on open handles, as kernel overlayfs does it (fs/overlayfs/file.c): fallocate,
// lseek SEEK_DATA/SEEK_HOLE and copy_file_range act on the real file behind the handle. A handle
// opened for writing is already on the upper copy (the open copied up), so nothing is copied up
// here; a read-only handle reads whatever real file is current (the upper once copied up), and
// the real filesystem answers every mode and errno: EBADF on a read-only fd, EOPNOTSUPP for a
// mode it lacks, ENXIO for SEEK_DATA/SEEK_HOLE at or past EOF, EXDEV between two filesystems
// (the caller's kernel then falls back to copying through splice, as it does for the overlay).
import { copyRange, fallocate, seek } from '../sys/space.js';
import { current } from './ops-file.js';
import type { Overlay } from './overlay.js';
import { protOfUpperFd, refuseSpaceChange } from './protect.js';
import type { U64 } from './session/filesystem.js';

/** fallocate(2) with FALLOC_FL_* `mode` on the real file of handle `fh`. */
export function fallocateHandle(ovl: Overlay, fh: number, offset: U64, length: U64, mode: number): void {
  const h = current(ovl, fh);
  if (h.upper) refuseSpaceChange(protOfUpperFd(ovl, h.fd), mode, h.path);
  fallocate(h.fd, mode, offset, length);
}

/** lseek(2) on the real file of handle `fh` (FUSE_LSEEK carries SEEK_DATA / SEEK_HOLE); the new offset. */
export function seekHandle(ovl: Overlay, fh: number, offset: U64, whence: number): U64 {
  return seek(current(ovl, fh).fd, offset, whence);
}

/** copy_file_range(2) between the real files of two handles at explicit offsets; bytes copied. */
export function copyRangeHandles(
  ovl: Overlay, fhIn: number, offIn: U64, fhOut: number, offOut: U64, len: U64, flags: number,
): number {
  const out = current(ovl, fhOut);
  if (out.upper) refuseSpaceChange(protOfUpperFd(ovl, out.fd), null, out.path);
  return copyRange(current(ovl, fhIn).fd, offIn, out.fd, offOut, len, flags);
}
