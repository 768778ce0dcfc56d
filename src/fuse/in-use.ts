// Two mounts of one upper or work dir. The kernel's overlay marks the upper and work dirs of each
// mount in use (ovl_inuse_trylock, an inode flag held for the mount's life) and, with index=off
// (the only index ovl-fuse mounts), still mounts a second overlay that names one of them, or
// names one as a lower, but warns: "upperdir is in-use as upperdir/workdir of another mount,
// accessing files from both mounts will result in undefined behavior." (the second mount's work/
// is emptied under the first, whose copy-ups then fail). ovl-fuse gives the same warning, on
// stderr, for the overlays it can see:
// - another ovl-fuse mount: each holds an exclusive flock(2) on its upper and work dirs for its
//   life (the lock goes with the daemon, however it ends);
// - a kernel overlay: its upperdir= and workdir= in mountinfo, compared by inode; but not one
//   mounted with relative paths, which mountinfo shows as given.
// A kernel overlay mounted after an ovl-fuse cannot see the ovl-fuse's lock and says nothing.
import { closeSync, constants, openSync, statSync } from 'node:fs';
import type { OverlayConfig } from '../format/index.js';
import { c, lastErrno } from '../sys/libc.js';
import { listMounts, unescapeOctal } from '../sys/mount.js';
import { errnoNumber } from '../errors.js';

const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const EWOULDBLOCK = errnoNumber('EWOULDBLOCK');

/** The kernel's words (fs/overlayfs/super.c ovl_report_in_use, index=off). */
function inUse(role: string, dir: string): string {
  return `ovl-fuse: warning: ${role} ${dir} is in-use as upperdir/workdir of another mount, accessing files from both mounts will result in undefined behavior.`;
}

/** "dev:ino" of `dir`, null when it cannot be stat'ed. */
function inodeOf(dir: string): string | null {
  try {
    const st = statSync(dir, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

/** The inodes of the upper and work dirs of the kernel overlays mounted now. */
function kernelOverlayDirs(): Set<string> {
  const out = new Set<string>();
  for (const m of listMounts()) {
    if (m.fstype !== 'overlay') continue;
    for (const opt of m.superOptions.split(',')) {
      const eq = opt.indexOf('=');
      const key = opt.slice(0, eq);
      if (key !== 'upperdir' && key !== 'workdir') continue;
      const dir = unescapeOctal(opt.slice(eq + 1));
      // mountinfo shows a path as it was given: a relative one (Docker's overlay2 gives them when
      // its options grow long) is relative to a cwd long gone, and cannot be found from here.
      if (!dir.startsWith('/')) continue;
      const ino = inodeOf(dir);
      if (ino !== null) out.add(ino);
    }
  }
  return out;
}

/** Try flock `op` on `fd` without waiting: false when another holds a conflicting lock. */
function tryLock(fd: number, op: number): boolean {
  if ((c.flock(fd, op | LOCK_NB) as number) === 0) return true;
  // Any other failure (a filesystem without flock: EINVAL, ENOLCK) is no sign of another mount.
  return lastErrno() !== EWOULDBLOCK;
}

function openDir(dir: string): number | null {
  try {
    return openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    return null;
  }
}

/**
 * Before the mount: claim the configuration's upper and work dirs, and say (on `warn`, in the
 * kernel's words) which of its dirs another overlay uses as its upper or work dir. Returns the
 * fds holding the claims: they must stay open as long as the mount is served (the daemon's life;
 * a command that hands the mount to a daemon hands them along).
 */
export function claimUpperAndWork(cfg: OverlayConfig, warn: (line: string) => void): number[] {
  const kernel = kernelOverlayDirs();
  const held: number[] = [];
  const check = (role: string, dir: string, op: number): void => {
    const fd = openDir(dir);
    const free = fd === null || tryLock(fd, op);
    const ino = inodeOf(dir);
    if (!free || (ino !== null && kernel.has(ino))) warn(inUse(role, dir));
    if (fd === null) return;
    if (op === LOCK_EX) held.push(fd);
    else {
      // A lower is only looked at: a shared lock kept would stop no one, and say nothing to the
      // overlay that takes it as its upper later (the kernel's does not mark lowers either).
      c.flock(fd, LOCK_UN);
      closeSync(fd);
    }
  };
  // As the kernel's ovl_fill_super: upper, then work, then each lower (also on a mount without an upper).
  if (cfg.upperdir !== undefined && cfg.workdir !== undefined) {
    check('upperdir', cfg.upperdir, LOCK_EX);
    check('workdir', cfg.workdir, LOCK_EX);
  }
  for (const dir of [...cfg.lowerdirs, ...cfg.datadirs]) check('lowerdir', dir, LOCK_SH);
  return held;
}
