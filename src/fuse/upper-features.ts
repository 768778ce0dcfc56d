// The kernel's strict check of a remote upper (fs/overlayfs/super.c ovl_make_workdir): an upper
// filesystem whose dentries revalidate (FUSE, NFS, SMB, 9p, Ceph) must list d_type, take
// RENAME_WHITEOUT and store the overlay's xattrs, or the mount is refused ("upper fs missing
// required features"); a local one lacking them only gets warnings. Without this, ovl-fuse
// mounted an upper on another FUSE overlay (ovl-fuse's own, fuse-overlayfs) and then failed its
// chmods and removals one by one. Probed in work/ once it is set up, as the kernel does.
import { closeSync, constants } from 'node:fs';
import { openSync, statfsSync, unlinkSync, writeFileSync } from '../sys/fs-bytes.js';
import { join } from 'node:path';
import { UsageError, errnoNumber, errnoOf } from '../errors.js';
import type { OverlayXattrs } from '../format/index.js';
import { lstatAttributes, pinFlag, readDirents, removeXattrOf, rename2, setXattr } from '../sys/index.js';

const EOPNOTSUPP = errnoNumber('EOPNOTSUPP');
const EPERM = errnoNumber('EPERM');

/** statfs f_type of filesystems the kernel treats as remote here: FUSE, NFS, CIFS, SMB2, 9p, Ceph. */
const REMOTE_TYPES = new Set([0x65735546, 0x6969, 0xff534d42, 0xfe534d42, 0x01021997, 0x00c36400]);

/** Refuse (exit 2) a remote upper without what the kernel requires of one; `work` is workdir/work. */
export function refuseRemoteUpperWithoutFeatures(upperdir: string, work: string, xattrs: OverlayXattrs): void {
  if (!REMOTE_TYPES.has(statfsSync(upperdir).type)) return;
  const missing: string[] = [];
  const [probe, moved] = [join(work, '#ovl-probe'), join(work, '#ovl-probe-moved')];
  try {
    writeFileSync(probe, '');
    if (readDirents(work).find((e) => e.name === '#ovl-probe')?.type !== 'file') missing.push('d_type');
    try {
      rename2(probe, moved, ['whiteout']);
    } catch {
      missing.push('RENAME_WHITEOUT');
    }
    try {
      probeOverlayXattr(work, xattrs);
    } catch {
      missing.push(`${xattrs.name('opaque')} xattrs`);
    }
  } finally {
    for (const p of [probe, moved]) {
      try {
        unlinkSync(p);
      } catch {
        // Not made, or already gone.
      }
    }
  }
  if (missing.length > 0) {
    throw new UsageError(`upperdir ${upperdir}: a remote upper filesystem without ${missing.join(', ')}: the kernel refuses it (upper fs missing required features)`, { code: 'EINVAL' });
  }
}

/**
 * Refuse (exit 2) an upper whose filesystem stores no xattrs of the overlay's namespace (ramfs;
 * `user.*` on a filesystem without them, with `userxattr`): asked of `workdir` itself before
 * anything is made in it, with an xattr removed at once (a probe on the upper root could leave it
 * opaque). The kernel mounts such an upper with warnings and turns off what needs the xattrs
 * (redirect_dir=nofollow, uuid=null, index and metacopy off) and fails what cannot do without them
 * (a dir made over a whiteout: EIO); ovl-fuse has no such mode, and went on to fail at its first
 * getxattr with exit 1.
 */
export function refuseUpperWithoutXattrs(upperdir: string, workdir: string, xattrs: OverlayXattrs): void {
  try {
    probeOverlayXattr(workdir, xattrs);
  } catch (err) {
    const names = xattrs.name('opaque').replace(/opaque$/, '*');
    // trusted.* in a user namespace (rootless podman passes no userxattr to a mount program): a
    // review saw the mount made, then every copy-up fail EPERM and leave a half-made upper copy
    // that later ops met as EEXIST. The kernel mounts degraded; ovl-fuse has no such mode.
    // Not an immutable or append-only workdir, whose EPERM the kernel meets too and mounts read-only for.
    if (errnoOf(err) === EPERM && !xattrs.userxattr && !pinned(workdir)) {
      throw new UsageError(
        `upperdir ${upperdir}: ${names} xattrs cannot be set there (EPERM: not root of the filesystem's user namespace?), which ovl-fuse needs: mount with -o userxattr (the kernel mounts it with redirect_dir, index, metacopy and uuid off)`,
        { code: 'EPERM' },
      );
    }
    if (errnoOf(err) !== EOPNOTSUPP) return;
    throw new UsageError(
      `upperdir ${upperdir}: its filesystem stores no ${names} xattrs (EOPNOTSUPP), which ovl-fuse needs (the kernel mounts it with redirect_dir, index, metacopy and uuid off)`,
      { code: 'EOPNOTSUPP' },
    );
  }
}

/** Is `dir` immutable or append-only (chattr +i, +a)? */
function pinned(dir: string): boolean {
  return pinFlag(lstatAttributes(dir).attributes) !== null;
}

/**
 * Set the overlay's opaque xattr on the dir `dir` and remove it at once: throws what the
 * filesystem answers. On the dir opened, the path followed as the kernel follows it: a dir given
 * as /proc/PID/cwd is procfs's link, whose own xattrs are EOPNOTSUPP.
 */
function probeOverlayXattr(dir: string, xattrs: OverlayXattrs): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    setXattr(fd, xattrs.name('opaque'), '0');
    removeXattrOf(fd, xattrs.name('opaque'));
  } finally {
    closeSync(fd);
  }
}
