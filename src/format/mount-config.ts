// The effective configuration of an overlay mount: the given options with the kernel's defaults
// (as configured on this machine) filled in and its dependency rules applied
// (fs/overlayfs/params.c ovl_fs_params_verify, checked against kernel 6.18 here).
import { UsageError } from '../errors.js';
import { MAX_LOWERS, type MountOptions, type RedirectDir, type UuidMode, type Verity, type VfsFlags, type Xino } from './mount-options.js';

export interface OverlayConfig {
  lowerdirs: string[];
  datadirs: string[];
  upperdir: string | undefined;
  workdir: string | undefined;
  /** Mounted read-only (mount(2)'s MS_RDONLY): no upper, `ro`, or an upper that cannot be written (`writable`). */
  readonly: boolean;
  /**
   * An upper with a usable `workdir/work` (the kernel's !ovl_force_readonly). Without it the mount
   * stays read-only: the kernel refuses a remount rw (EROFS), which a FUSE mount cannot, so the
   * daemon answers every change EROFS itself. A `ro` mount with a usable workdir may be remounted rw.
   */
  writable: boolean;
  userxattr: boolean;
  redirectDir: RedirectDir;
  index: boolean;
  metacopy: boolean;
  nfsExport: boolean;
  xino: Xino;
  uuid: UuidMode;
  verity: Verity;
  volatile: boolean;
  /**
   * `fsync=strict`: a copy-up of a regular file or dir fsyncs the copy after its metadata (every
   * such copy, empty files too) instead of only a file's data (ovl_copy_up_metadata, kernel >= 6.12).
   */
  fsyncStrict: boolean;
  extra: Record<string, string | true>;
  /** nosuid, nodev, noexec, nosymfollow for the mount itself (mount(8)'s flags among the options). */
  vfs: VfsFlags;
  /**
   * ovl-fuse's `aufs_whiteouts` (no kernel option): the layers' layer-tar whiteouts count too, as
   * fuse-overlayfs reads them: `.wh.NAME` deletes NAME from the layers below and hides in its
   * own, `.wh..wh..opq` makes its dir opaque, and no `.wh.` name is shown or may be made.
   */
  aufsWhiteouts?: boolean;
  /**
   * The mount's source, as `mount -t overlay SOURCE MERGED` names it and /proc/mounts shows it
   * (a FUSE overlay's: `mount -t fuse.ovl-fuse SOURCE MERGED`, `ovl-fuse SOURCE MERGED`); "overlay"
   * when none was given.
   */
  source?: string;
}

/** This machine's overlay module defaults (CONFIG_OVERLAY_FS_*=n, redirect_always_follow=Y). */
export const KERNEL_DEFAULTS = {
  redirectDir: 'off',
  index: false,
  metacopy: false,
  nfsExport: false,
  xino: 'off',
  uuid: 'auto',
  verity: 'off',
} as const;

function conflict(what: string): UsageError {
  return new UsageError(`conflicting options: ${what}`);
}

/** Apply defaults and the kernel's rules; throws UsageError (EINVAL) with the kernel's wording. */
export function resolveMountOptions(o: MountOptions): OverlayConfig {
  if (o.lowerdirs.length === 0) throw new UsageError("missing 'lowerdir'");
  const layers = o.lowerdirs.length + o.datadirs.length;
  if (layers > MAX_LOWERS) throw new UsageError(`too many lower directories, limit is ${MAX_LOWERS} (got ${layers})`);
  const hasUpper = o.upperdir !== undefined;
  if (hasUpper && o.workdir === undefined) throw new UsageError("missing 'workdir'");
  if (!hasUpper && layers < 2) throw new UsageError('at least 2 lowerdir are needed while upperdir nonexistent');

  const c: OverlayConfig = {
    lowerdirs: o.lowerdirs,
    datadirs: o.datadirs,
    upperdir: o.upperdir,
    // workdir, index and volatile are meaningless without an upper; the kernel ignores them.
    workdir: hasUpper ? o.workdir : undefined,
    readonly: !hasUpper || o.ro === true,
    writable: hasUpper,
    userxattr: o.userxattr === true,
    redirectDir: o.redirectDir ?? KERNEL_DEFAULTS.redirectDir,
    index: hasUpper && (o.index ?? KERNEL_DEFAULTS.index),
    metacopy: o.metacopy ?? KERNEL_DEFAULTS.metacopy,
    nfsExport: o.nfsExport ?? KERNEL_DEFAULTS.nfsExport,
    xino: o.xino ?? KERNEL_DEFAULTS.xino,
    uuid: o.uuid ?? KERNEL_DEFAULTS.uuid,
    verity: o.verity ?? KERNEL_DEFAULTS.verity,
    volatile: hasUpper && o.volatile === true,
    fsyncStrict: hasUpper && o.fsync === 'strict',
    extra: o.extra,
    vfs: o.vfs ?? {},
  };
  // metacopy needs redirects to find the data; with an upper it turns redirect_dir on unless told
  // otherwise, without one it needs them followed (checked on 6.18).
  if (c.metacopy && hasUpper && c.redirectDir !== 'on') {
    if (o.redirectDir !== undefined) throw conflict(`metacopy=on,redirect_dir=${o.redirectDir === 'off' ? 'follow' : o.redirectDir}`);
    c.redirectDir = 'on';
  }
  if (c.metacopy && !hasUpper && o.redirectDir === 'nofollow') throw conflict('metacopy=on,redirect_dir=nofollow');
  // nfs_export needs the index.
  if (c.nfsExport && !c.index && hasUpper) {
    if (o.index === false) throw conflict('nfs_export=on,index=off');
    c.index = true;
  }
  if (c.nfsExport && c.metacopy) {
    if (o.nfsExport && o.metacopy) throw conflict('nfs_export=on,metacopy=on');
    if (o.metacopy) c.nfsExport = false;
    else c.metacopy = false;
  }
  // user.* xattrs cannot be trusted for redirects or metacopy.
  if (c.userxattr) {
    if (o.redirectDir !== undefined && o.redirectDir !== 'nofollow') throw conflict(`userxattr,redirect_dir=${o.redirectDir}`);
    if (o.metacopy) throw conflict('userxattr,metacopy=on');
    c.redirectDir = 'nofollow';
    c.metacopy = false;
  }
  return c;
}

/** Does this configuration follow `redirect` xattrs found in the layers? */
export function followsRedirects(c: OverlayConfig): boolean {
  // redirect_dir=off means "follow" here because redirect_always_follow=Y.
  return c.redirectDir !== 'nofollow';
}

/** Does this configuration create redirects (i.e. allow renaming lower/merged dirs)? */
export function createsRedirects(c: OverlayConfig): boolean {
  return c.redirectDir === 'on';
}

/**
 * The kernel's ovl_allow_offline_changes: with none of index, metacopy, redirect_dir=on or xino=on,
 * layers may be changed offline, so the kernel skips optimisations that record layer state
 * (e.g. marking a dir made in a merged parent opaque).
 */
export function allowsOfflineChanges(c: OverlayConfig): boolean {
  return !c.index && !c.metacopy && c.redirectDir !== 'on' && c.xino !== 'on';
}
