// The kernel's overlay mount-option string: `lowerdir=A:B::D,upperdir=U,workdir=W,...`.
// Parse and format exactly as fs/overlayfs/params.c reads it: options split on unescaped ',';
// lowerdir split on unescaped ':' (leftmost = top layer); '::' starts the data-only layers;
// a backslash escapes the next character in any path.
import { UsageError } from '../errors.js';

/** The kernel's OVL_MAX_STACK. */
export const MAX_LOWERS = 500;

export type RedirectDir = 'on' | 'follow' | 'nofollow' | 'off';
export type Xino = 'off' | 'auto' | 'on';
export type UuidMode = 'null' | 'off' | 'on' | 'auto';
export type Verity = 'off' | 'on' | 'require';
/** When a copy-up fsyncs its copy, besides never (`volatile`): `auto`, the data only; `strict`, after the metadata too. */
export type FsyncMode = 'auto' | 'strict';

/** Options exactly as given: undefined means "not given" (so formatting round-trips). */
export interface MountOptions {
  lowerdirs: string[];
  datadirs: string[];
  upperdir?: string;
  workdir?: string;
  ro?: boolean;
  userxattr?: boolean;
  redirectDir?: RedirectDir;
  index?: boolean;
  metacopy?: boolean;
  nfsExport?: boolean;
  xino?: Xino;
  uuid?: UuidMode;
  verity?: Verity;
  volatile?: boolean;
  /**
   * `fsync=auto|strict` (`fsync=volatile` is `volatile`): when a copy-up fsyncs. One setting in the
   * kernel (ovl_fs_config.fsync_mode): the last of `volatile` and `fsync=` wins, so at most one is set.
   */
  fsync?: FsyncMode;
  /** Options outside the overlay's own set that the caller allowed (e.g. a FUSE tool's `cache=`). */
  extra: Record<string, string | true>;
  /** mount(8)'s per-mount flags given among the options (VFS_OPTIONS). */
  vfs?: VfsFlags;
}

/**
 * The per-mount flags mount(8) takes out of an option string and gives mount(2) as MS_* bits,
 * never to the filesystem: a FUSE overlay applies them to its own mount. true: set, false: cleared.
 */
export interface VfsFlags {
  nosuid?: boolean;
  nodev?: boolean;
  noexec?: boolean;
  /** Symlinks are not followed in path lookups through the mount (readlink still reads them). */
  nosymfollow?: boolean;
}

/**
 * mount(8)'s options a FUSE overlay's option string may hold besides the overlay's own: what each
 * sets in VfsFlags, or null for one that changes nothing here (`relatime` and `async` are what a
 * new mount gets anyway; `defaults` clears nothing in mount(8) either: `nosuid,defaults` stays nosuid,
 * checked on 6.18). The atime and sync flags
 * (noatime, strictatime, sync, dirsync…) are not among them: a FUSE mount's files take their
 * times and writes from the layers' own mounts, so ovl-fuse could not honour them.
 */
const VFS_OPTIONS: Record<string, VfsFlags | null> = {
  nosuid: { nosuid: true },
  suid: { nosuid: false },
  nodev: { nodev: true },
  dev: { nodev: false },
  noexec: { noexec: true },
  exec: { noexec: false },
  nosymfollow: { nosymfollow: true },
  symfollow: { nosymfollow: false },
  defaults: null,
  relatime: null,
  async: null,
  atime: null,
  diratime: null,
};

/** mount(8)'s options that change atime or sync behaviour: refused with the reason. */
const LAYER_OWNED = new Set(['noatime', 'nodiratime', 'strictatime', 'norelatime', 'lazytime', 'sync', 'dirsync']);
const layerOwned = (key: string) => new UsageError(`unsupported mount option ${key}: a FUSE overlay's file times and writes follow the layers' own mounts`);

type Setter = (o: MountOptions, value: string | undefined, key: string) => void;

function enumValue<T extends string>(allowed: readonly T[]): (value: string | undefined, key: string) => T {
  return (value, key) => {
    if (value === undefined || !(allowed as readonly string[]).includes(value)) {
      throw new UsageError(`bad mount option ${key}=${value ?? ''}: expected one of ${allowed.join(', ')}`);
    }
    return value as T;
  };
}
const onOff = enumValue(['on', 'off'] as const);
function flag(value: string | undefined, key: string): true {
  if (value !== undefined) throw new UsageError(`bad mount option ${key}=${value}: ${key} takes no value`);
  return true;
}
function path(value: string | undefined, key: string): string {
  if (value === undefined || value === '') throw new UsageError(`bad mount option ${key}: a path is required`);
  return unescapePath(value);
}

const SETTERS: Record<string, Setter> = {
  lowerdir: (o, v, k) => {
    if (v === undefined || v === '') throw new UsageError(`bad mount option ${k}: a path is required`);
    Object.assign(o, splitLowerdir(v));
  },
  upperdir: (o, v, k) => (o.upperdir = path(v, k)),
  workdir: (o, v, k) => (o.workdir = path(v, k)),
  ro: (o, v, k) => (o.ro = flag(v, k)),
  rw: (o, v, k) => (o.ro = !flag(v, k)),
  userxattr: (o, v, k) => (o.userxattr = flag(v, k)),
  volatile: (o, v, k) => {
    o.volatile = flag(v, k);
    delete o.fsync;
  },
  fsync: (o, v, k) => {
    const mode = enumValue(['auto', 'strict', 'volatile'] as const)(v, k);
    if (mode === 'volatile') {
      o.volatile = true;
      delete o.fsync;
    } else {
      o.fsync = mode;
      delete o.volatile;
    }
  },
  redirect_dir: (o, v, k) => (o.redirectDir = enumValue(['on', 'follow', 'nofollow', 'off'] as const)(v, k)),
  index: (o, v, k) => (o.index = onOff(v, k) === 'on'),
  metacopy: (o, v, k) => (o.metacopy = onOff(v, k) === 'on'),
  nfs_export: (o, v, k) => (o.nfsExport = onOff(v, k) === 'on'),
  xino: (o, v, k) => (o.xino = enumValue(['off', 'auto', 'on'] as const)(v, k)),
  uuid: (o, v, k) => (o.uuid = enumValue(['null', 'off', 'on', 'auto'] as const)(v, k)),
  verity: (o, v, k) => (o.verity = enumValue(['off', 'on', 'require'] as const)(v, k)),
};

/** Split on an unescaped separator character, keeping escapes (they are removed per path later). */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

/** Remove one level of backslash escaping, as the kernel's ovl_unescape does. */
export function unescapePath(s: string): string {
  return s.replace(/\\(.)/gs, '$1');
}

/** Escape a path for use inside a mount-option string (`\`, `,` and `:`). */
export function escapePath(s: string): string {
  return s.replace(/[\\,:]/g, (c) => '\\' + c);
}

/** Parse a lowerdir value into regular layers (top first) and data-only layers (after '::'). */
export function splitLowerdir(value: string): { lowerdirs: string[]; datadirs: string[] } {
  const bad = (why: string) => new UsageError(`bad mount option lowerdir=${value}: ${why}`);
  const parts = splitUnescaped(value, ':');
  const lowerdirs: string[] = [];
  const datadirs: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') {
      // Only the middle of a '::' may be empty; leading, trailing and ':::' are refused as by the kernel.
      const inDoubleColon = i > 0 && i < parts.length - 1 && parts[i - 1] !== '' && parts[i + 1] !== '';
      if (!inDoubleColon) throw bad("misplaced ':' (empty layer path)");
      continue;
    }
    const afterDoubleColon = i > 0 && parts[i - 1] === '';
    if (afterDoubleColon) datadirs.push(unescapePath(part));
    else if (datadirs.length > 0) throw bad('regular lower layers cannot follow data-only layers');
    else lowerdirs.push(unescapePath(part));
  }
  return { lowerdirs, datadirs };
}

export interface ParseOptions {
  /** Extra option names the caller handles itself; anything else unknown is an error. */
  allow?: readonly string[];
}

/** Parse one `-o` string (several `-o` are joined with ',' by the caller). Later options override earlier ones. */
export function parseMountOptions(str: string, { allow = [] }: ParseOptions = {}): MountOptions {
  const o: MountOptions = { lowerdirs: [], datadirs: [], extra: {} };
  let listGiven = false;
  for (const token of splitUnescaped(str, ',')) {
    if (token === '') continue;
    const eq = token.indexOf('=');
    const key = eq < 0 ? token : token.slice(0, eq);
    const value = eq < 0 ? undefined : token.slice(eq + 1);
    const setter = SETTERS[key];
    if (key === 'lowerdir+' || key === 'datadir+') {
      if (listGiven) throw new UsageError(`bad mount option ${key}: lowerdir+ and datadir+ cannot follow lowerdir`);
      addLayer(o, key, value);
    } else if (setter) {
      setter(o, value, key);
      if (key === 'lowerdir') listGiven = true;
    } else if (allow.includes(key)) o.extra[key] = value ?? true;
    else if (key in VFS_OPTIONS) {
      flag(value, key);
      if (VFS_OPTIONS[key]) o.vfs = { ...o.vfs, ...VFS_OPTIONS[key] };
    } else if (LAYER_OWNED.has(key)) throw layerOwned(key);
    else throw new UsageError(`unknown mount option ${key}`);
  }
  return o;
}

/** Does an option string ask for a remount (`remount` among its options, a path's escaped commas aside)? */
export function isRemount(str: string): boolean {
  return splitUnescaped(str, ',').includes('remount');
}

/** What a remount may change: read-only or not, and mount(8)'s per-mount flags. */
export interface RemountOptions {
  ro?: boolean;
  vfs: VfsFlags;
}

/**
 * A remount's option string (`remount` among them), as mount(8) runs the helper for `mount -o
 * remount,rw MERGED`: mountinfo's options plus those asked for (`rw,relatime,remount,user_id=0,
 * group_id=0,default_permissions,allow_other,dev,suid`). Only `ro`/`rw` and the per-mount flags
 * count; every other option is ignored, the layers' too, as the kernel's overlay ignores them on
 * a mount(2) remount (fs/overlayfs/params.c: "overlayfs has always ignored all mount options"). The
 * atime and sync flags are refused as at mount time.
 */
export function parseRemountOptions(str: string): RemountOptions {
  const o: RemountOptions = { vfs: {} };
  for (const token of splitUnescaped(str, ',')) {
    const eq = token.indexOf('=');
    const key = eq < 0 ? token : token.slice(0, eq);
    if (eq < 0 && (key === 'ro' || key === 'rw')) o.ro = key === 'ro';
    else if (eq < 0 && VFS_OPTIONS[key]) o.vfs = { ...o.vfs, ...VFS_OPTIONS[key] };
    else if (LAYER_OWNED.has(key)) throw layerOwned(key);
  }
  return o;
}

/**
 * `lowerdir+=PATH` and `datadir+=PATH` (kernel ≥ 6.8): one layer each, appended below those before
 * it, the path taken literally (no ':' splitting, no unescaping: the kernel resolves the value as
 * given). mount(2)'s option string takes them as fsconfig(2) does; a later `lowerdir=` replaces
 * the whole list, as in the kernel.
 */
function addLayer(o: MountOptions, key: 'lowerdir+' | 'datadir+', value: string | undefined): void {
  if (value === undefined || value === '') throw new UsageError(`bad mount option ${key}: a path is required`);
  if (key === 'datadir+') o.datadirs.push(value);
  else if (o.datadirs.length > 0) throw new UsageError(`bad mount option lowerdir+=${value}: regular lower layers cannot follow data layers`);
  else o.lowerdirs.push(value);
}

/** Format options back into the kernel's string; parseMountOptions(formatMountOptions(o)) equals o. */
export function formatMountOptions(o: MountOptions): string {
  const out: string[] = [];
  if (o.lowerdirs.length > 0) {
    const data = o.datadirs.map(escapePath);
    out.push('lowerdir=' + [o.lowerdirs.map(escapePath).join(':'), ...data].join('::'));
  }
  if (o.upperdir !== undefined) out.push('upperdir=' + escapePath(o.upperdir));
  if (o.workdir !== undefined) out.push('workdir=' + escapePath(o.workdir));
  if (o.ro !== undefined) out.push(o.ro ? 'ro' : 'rw');
  if (o.userxattr) out.push('userxattr');
  if (o.volatile) out.push('volatile');
  if (o.fsync !== undefined) out.push(`fsync=${o.fsync}`);
  if (o.redirectDir !== undefined) out.push(`redirect_dir=${o.redirectDir}`);
  if (o.index !== undefined) out.push(`index=${o.index ? 'on' : 'off'}`);
  if (o.metacopy !== undefined) out.push(`metacopy=${o.metacopy ? 'on' : 'off'}`);
  if (o.nfsExport !== undefined) out.push(`nfs_export=${o.nfsExport ? 'on' : 'off'}`);
  if (o.xino !== undefined) out.push(`xino=${o.xino}`);
  if (o.uuid !== undefined) out.push(`uuid=${o.uuid}`);
  if (o.verity !== undefined) out.push(`verity=${o.verity}`);
  for (const [k, v] of Object.entries(o.extra)) out.push(v === true ? k : `${k}=${escapePath(v)}`);
  for (const [k, set] of Object.entries(o.vfs ?? {})) out.push(set ? k : k.slice(2));
  return out.join(',');
}
