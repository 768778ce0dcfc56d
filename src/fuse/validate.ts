// Mount-time checks, made before anything is created: the same mistakes the kernel refuses
// (missing or misplaced dirs, overlapping layers, options this overlay does not implement),
// each as one UsageError line naming the path and the reason.
import { existsSync, realpathSync, statSync, statfsSync } from '../sys/fs-bytes.js';
import { join, relative } from 'node:path';
import { UsageError } from '../errors.js';
import type { OverlayConfig } from '../format/index.js';
import { type MountEntry, listMounts, mountIdOf, mountOf, statVfs } from '../sys/index.js';
import { CAP_SYS_ADMIN, holds, taskCreds } from './caller-creds.js';
import { inside } from './layers.js';

/** statfs f_type of a kernel overlay mount. */
const OVERLAYFS_SUPER_MAGIC = 0x794c7630;
/** statvfs f_flag of a read-only mount. */
const ST_RDONLY = 1;

/**
 * `path` as a canonical dir path. `deletedOk`: a removed dir (below) is kept as given, for the
 * workdir, where the kernel mounts read-only (it cannot make work/ there: mount.ts prepareLayers).
 */
function dir(path: string, what: string, deletedOk = false): string {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    throw new UsageError(`${what} ${path}: ${code === 'ENOENT' ? 'no such directory' : code}`, { code });
  }
  if (!st.isDirectory()) throw new UsageError(`${what} ${path}: not a directory`, { code: 'ENOTDIR' });
  try {
    return realpathSync(path);
  } catch (err) {
    // A dir still open somewhere but removed (/proc/PID/cwd of a process inside it): it stats,
    // but its path leads nowhere.
    const code = (err as { code?: string }).code ?? 'EIO';
    if (code === 'ENOENT' && deletedOk) return path;
    throw new UsageError(`${what} ${path}: ${code === 'ENOENT' ? 'the directory no longer exists (deleted?)' : code}`, { code, cause: err });
  }
}

function refuseUnsupported(cfg: OverlayConfig): void {
  const refuse = (opt: string) => new UsageError(`unsupported mount option ${opt}: ovl-fuse implements the kernel's default (off)`);
  // nfs_export=on turns index on with it: name the option the user gave.
  if (cfg.nfsExport) throw refuse('nfs_export=on');
  if (cfg.index) throw refuse('index=on');
  if (cfg.verity !== 'off') throw refuse(`verity=${cfg.verity}`);
}

/** Check a resolved configuration and mount point; returns the config with canonical paths. */
export function validateMount(cfg: OverlayConfig, merged: string): { cfg: OverlayConfig; merged: string } {
  refuseUnsupported(cfg);
  const lowerdirs = cfg.lowerdirs.map((l) => dir(l, 'lowerdir'));
  const datadirs = cfg.datadirs.map((l) => dir(l, 'lowerdir'));
  const upperdir = cfg.upperdir === undefined ? undefined : dir(cfg.upperdir, 'upperdir');
  const workdir = cfg.workdir === undefined ? undefined : dir(cfg.workdir, 'workdir', true);
  const mnt = dir(merged, 'mount point');
  // ovl_mount_dir_check, for the upperdir and then the workdir as each is parsed (its words name
  // the upperdir for both): an overlay cannot keep its markers and whiteouts in another overlay
  // (DCACHE_OP_REAL dentries; ovl-fuse would mount and then fail copy-ups and removals with
  // EOPNOTSUPP), and a read-only filesystem (mount or superblock) is refused, not mounted
  // read-only as a workdir where work/ cannot be made is (mount.ts prepareLayers).
  for (const [path, what] of [[upperdir, 'upperdir'], [workdir, 'workdir']] as const) {
    if (path === undefined) continue;
    if (statfsSync(path).type === OVERLAYFS_SUPER_MAGIC) {
      throw new UsageError(`${what} ${path}: filesystem not supported as upperdir (an overlayfs mount)`, { code: 'EINVAL' });
    }
    if ((statVfs(path).flag & ST_RDONLY) !== 0) throw new UsageError(`${what} ${path}: filesystem is read-only`, { code: 'EROFS' });
  }
  if (upperdir !== undefined && workdir !== undefined) {
    // A bind mount of the upper's filesystem has its st_dev but is another mount: the copy-up's
    // rename from work/ into the upper would fail EXDEV.
    if (mountIdOf(upperdir) !== mountIdOf(workdir)) {
      throw new UsageError(`workdir ${workdir}: workdir and upperdir must reside under the same mount`);
    }
    if (inside(workdir, upperdir) || inside(upperdir, workdir)) {
      throw new UsageError(`workdir ${workdir}: workdir and upperdir must be separate subtrees`);
    }
  }
  // Data-only layers are lower layers to the kernel's traps too ("l1::d1::d1" is a conflict).
  refuseOverlaps([...lowerdirs, ...datadirs], upperdir, workdir);
  if (!existsSync('/dev/fuse')) throw new UsageError('/dev/fuse: no such device (is the fuse module loaded?)', { code: 'ENODEV' });
  // mount(2) needs it (in our user namespace: unshare -Urm gives it); asked before work/ is made,
  // so that a user without it finds the workdir as it was.
  const self = taskCreds({ uid: 0, gid: 0, pid: process.pid });
  if (self !== null && !holds(self, CAP_SYS_ADMIN)) {
    throw new UsageError(`${mnt}: mounting needs CAP_SYS_ADMIN (root, or root of a user namespace)`, { code: 'EPERM' });
  }
  return { cfg: { ...cfg, lowerdirs, datadirs, upperdir, workdir }, merged: mnt };
}

/**
 * The kernel's layer traps (ovl_setup_trap, then ovl_check_layer), as they answer on 6.18: a
 * lower that is the upper, the workdir or an earlier lower is a "conflicting lowerdir path", one
 * strictly below any of them (or above another lower) an "overlapping lowerdir path", both ELOOP.
 * An upper or workdir inside a lower is accepted, as the kernel accepts it. The kernel compares
 * dentries, so a dir reached through a bind mount is the same dir: compared here by where each
 * lies in its filesystem (fsPlace), not by the path it was given.
 */
function refuseOverlaps(lowerdirs: readonly string[], upperdir?: string, workdir?: string): void {
  const mounts = listMounts();
  const place = (p: string) => fsPlace(p, mounts);
  const traps: Array<[string, string, string]> = [];
  if (upperdir !== undefined) traps.push([upperdir, 'upperdir', place(upperdir)]);
  if (workdir !== undefined) traps.push([workdir, 'workdir', place(workdir)]);
  const loop = (l: string, how: string, other: [string, string, string]) =>
    new UsageError(`lowerdir ${l}: ${how} lowerdir path (${other[1]} ${other[0]})`, { code: 'ELOOP' });
  // Set up in order: a lower meeting a trap already there is a conflict.
  const lowers = lowerdirs.map((l) => [l, place(l)] as const);
  for (const [l, at] of lowers) {
    const same = traps.find(([, , p]) => p === at);
    if (same) throw loop(l, 'conflicting', same);
    traps.push([l, 'lowerdir', at]);
  }
  // Then each lower's ancestors are checked against every trap.
  for (const [l, at] of lowers) {
    const above = traps.find(([, , p]) => p !== at && inside(at, p));
    if (above) throw loop(l, 'overlapping', above);
  }
}

/**
 * Where the dir `path` (canonical) lies in its filesystem: the mount's device and the dir's path
 * from the filesystem's root (the mount's root, for a bind mount of a subdir, plus the rest), as
 * `maj:min/path`; two names of one dir through different mounts get one place. A path that is not
 * below its mount's point (a deleted dir reached through /proc) keeps its own.
 */
function fsPlace(path: string, mounts: readonly MountEntry[]): string {
  const m = mountOf(path, mounts);
  if (m === undefined || !inside(path, m.target)) return `?${path}`;
  return m.dev + join(m.root, relative(m.target, path));
}
