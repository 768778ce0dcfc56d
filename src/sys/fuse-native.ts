// The fuse-native glue: the only module that loads fuse-native. It needs the patched and rebuilt
// addon (patches/fuse-native+2.2.6.patch, applied by scripts/patch-fuse-native.mjs on install):
// the prebuilt one cannot set mtime, hides st_ino/d_ino and gives create() no flags.
import { createRequire } from 'node:module';
import type { RealStat } from './real-stat.js';
import { OvlError } from '../errors.js';

/** What fuse-native's getStatArray reads; times are bigint nanoseconds (exact with the patch). */
export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  rdev: number;
  blksize: number;
  blocks: number;
  atime: bigint;
  mtime: bigint;
  ctime: bigint;
}

export interface FuseStatfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

/** A time handed to utimens: exact ns since the epoch, or the UTIME_NOW / UTIME_OMIT marker. */
export type FuseTime = bigint | 'now' | 'omit';

/** The operations the overlay implements, with fuse-native's (patched) signatures. */
export interface FuseOps {
  init(cb: (err: number) => void): void;
  getattr(path: string, cb: (err: number, st?: FuseStat) => void): void;
  fgetattr(path: string | null, fh: number, cb: (err: number, st?: FuseStat) => void): void;
  readdir(path: string, cb: (err: number, names?: string[], stats?: FuseStat[]) => void): void;
  opendir(path: string, flags: number, cb: (err: number, fh?: number) => void): void;
  releasedir(path: string | null, fh: number, cb: (err: number) => void): void;
  open(path: string, flags: number, cb: (err: number, fh?: number) => void): void;
  create(path: string, mode: number, flags: number, cb: (err: number, fh?: number) => void): void;
  read(path: string | null, fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void): void;
  write(path: string | null, fh: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void): void;
  release(path: string | null, fh: number, cb: (err: number) => void): void;
  flush(path: string | null, fh: number, cb: (err: number) => void): void;
  fsync(path: string | null, datasync: number, fh: number, cb: (err: number) => void): void;
  fsyncdir(path: string, datasync: number, fh: number, cb: (err: number) => void): void;
  truncate(path: string, size: number, cb: (err: number) => void): void;
  ftruncate(path: string | null, fh: number, size: number, cb: (err: number) => void): void;
  utimens(path: string, atime: FuseTime, mtime: FuseTime, cb: (err: number) => void): void;
  chmod(path: string, mode: number, cb: (err: number) => void): void;
  chown(path: string, uid: number, gid: number, cb: (err: number) => void): void;
  readlink(path: string, cb: (err: number, target?: string) => void): void;
  mknod(path: string, mode: number, dev: number, cb: (err: number) => void): void;
  mkdir(path: string, mode: number, cb: (err: number) => void): void;
  rmdir(path: string, cb: (err: number) => void): void;
  unlink(path: string, cb: (err: number) => void): void;
  rename(src: string, dest: string, cb: (err: number) => void): void;
  link(src: string, dest: string, cb: (err: number) => void): void;
  symlink(target: string, path: string, cb: (err: number) => void): void;
  setxattr(path: string, name: string, value: Buffer, position: number, flags: number, cb: (err: number) => void): void;
  getxattr(path: string, name: string, position: number, cb: (err: number, value?: Buffer | null) => void): void;
  listxattr(path: string, cb: (err: number, names?: string[]) => void): void;
  removexattr(path: string, name: string, cb: (err: number) => void): void;
  statfs(path: string, cb: (err: number, st?: FuseStatfs) => void): void;
}

interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  context(): { uid: number; gid: number; pid: number } | null;
}
interface FuseClass {
  new (mnt: string, ops: Partial<FuseOps>, opts: Record<string, unknown>): FuseInstance;
  FEATURE_LEVEL: number;
  UTIME_NOW: string;
  UTIME_OMIT: string;
}

let loaded: FuseClass | undefined;
function fuseClass(): FuseClass {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    loaded = require('fuse-native') as FuseClass;
  }
  return loaded;
}

/** 2 when the patched addon is loaded (1: an older patch); 0 means the install step did not run (see docs/fuse.md). */
export function fuseFeatureLevel(): number {
  return fuseClass().FEATURE_LEVEL ?? 0;
}

export interface FuseMountOptions {
  /** Raw `-o` options for libfuse and the kernel (allow_other, use_ino, attr_timeout=1, ...). */
  options: string[];
  /** Called once the FUSE loop ended, i.e. after any unmount, also `umount` from outside. */
  onExit: () => void;
}

export interface FuseSession {
  /** uid/gid/pid of the caller of the request being handled (read it synchronously). */
  context(): { uid: number; gid: number; pid: number };
}

/**
 * Mount `ops` at `mountpoint`; resolves once the kernel has sent INIT, i.e. the mount is live.
 * Handlers may get a null path for a file handle whose name is gone (nullpath_ok).
 */
export function mountFuse(mountpoint: string, ops: Partial<FuseOps>, opts: FuseMountOptions): Promise<FuseSession> {
  const Fuse = fuseClass();
  // Level 2 passes names as latin1 strings of their bytes, which the overlay's ops expect (../fuse/ops-latin1-names.ts).
  if (Fuse.FEATURE_LEVEL !== 2) {
    return Promise.reject(
      new OvlError('ENOSYS', 'fuse-native is not the patched build; run `npm ci` (postinstall patches and rebuilds it)'),
    );
  }
  const fuse = new Fuse(mountpoint, ops, {
    timeout: false,
    useIno: true,
    readdirIno: true,
    nullPath: true,
    utimensNs: true,
    options: opts.options,
    onExit: opts.onExit,
  });
  return new Promise((resolve, reject) => {
    fuse.mount((err) => {
      if (err) reject(new OvlError('EIO', `FUSE mount failed: ${err.message}`, { path: mountpoint, cause: err }));
      else resolve({ context: () => fuse.context() ?? { uid: 0, gid: 0, pid: 0 } });
    });
  });
}

/** Convert a real object's stat into the shape fuse-native sends to the kernel. */
export function fuseStat(st: RealStat, ino: bigint, nlink: number = st.nlink): FuseStat {
  return {
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    size: Number(st.size),
    nlink,
    ino: Number(ino),
    rdev: st.rdev,
    blksize: st.blksize,
    blocks: st.blocks,
    atime: st.atimeNs,
    mtime: st.mtimeNs,
    ctime: st.ctimeNs,
  };
}
