// Copy-up: give a merged object an upper copy before it is modified. The copy is built in
// `workdir/work` (type, owner, mode, xattrs, origin, times) and only then given its upper name (a
// regular file as an O_TMPFILE linked into place, anything else renamed), so a crash leaves
// either no upper copy or a complete one; lower layers are only ever read.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, fsyncSync } from 'node:fs';
import { chmodSync, lchownSync, mkdirSync, openSync, readlinkSync, rmSync, symlinkSync } from '../sys/fs-bytes.js';
import { copyFdData } from '../sys/dirents.js';
import { closeFd, fsyncFd, openFile, startWriteback } from '../sys/fd.js';
import { objectKey } from './handles.js';
import { type RealStat, type XattrTarget, fstatReal, getXattr, listLayerXattrs, lstatReal, lstatRealOrNull, mknod, removeXattrOf, rename2, setTimes, setXattr, timeFromNs, timesOf } from '../sys/index.js';
import { METACOPY_PLAIN } from '../format/index.js';
import { truncateFd } from '../sys/offsets.js';
import { O_CLOEXEC, O_LARGEFILE, O_TMPFILE, SEEK_DATA, SEEK_SET, cloneFile, copyRangeAnyway, linkFd, seek, setStatusFlags } from '../sys/space.js';
import { errnoCodeOf } from '../errors.js';
import { fail } from './errno.js';
import { copyFileattr } from './fileattr-copy.js';
import { originOf, unstoredOriginKey } from './inode.js';
import { markImpure } from './origin-fix.js';
import { throughMounts, withoutAtime } from './submounts.js';
import { type Layer, realChild, realPath, splitPath } from './layers.js';
import { type Node, lookupDir, lookupPath, refuseNonRegularOpen, upperFileNode } from './lookup.js';
import type { Overlay } from './overlay.js';
import { protOf, refuseOpen } from './protect.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

/** Upper path of a merged path (the upper mirrors merged paths; redirects only bend lowers). */
export function upperPath(ovl: Overlay, path: string): string {
  const upper = ovl.stack.upper ?? fail('EROFS', path);
  return throughMounts(upper, realPath(upper.via ?? upper.root, path));
}

export { objectKey } from './handles.js';

/**
 * readlink(2) of a lower symlink without stamping its atime, as the kernel's overlay reads it
 * (vfs_get_link, no touch_atime): through the layer's clone mount, which has atime updates off.
 * readlink has no O_NOATIME; putting the stamped atime back instead changed the lower link's
 * ctime at every read (ovl-check observe, seed 221). Without a clone (no CAP_SYS_ADMIN) that is
 * still the fallback; errors restoring are ignored: a read-only lower had nothing stamped.
 */
export function readLowerLink(layer: Layer, real: string, atimeNs: bigint): Buffer {
  const quiet = withoutAtime(layer, real);
  if (quiet !== null) return readlinkSync(quiet, { encoding: 'buffer' });
  const target = readlinkSync(real, { encoding: 'buffer' });
  try {
    setTimes(real, timeFromNs(atimeNs), 'omit');
  } catch {
    // nothing stamped, or nothing we may undo
  }
  return target;
}

/** A non-regular object's copy at `tmp` in the work dir: a dir, symlink, fifo, socket or device node. */
function buildOther(layer: Layer, src: string, st: RealStat, tmp: string): void {
  const type = st.mode & S_IFMT;
  if (type === S_IFDIR) mkdirSync(tmp, { mode: 0o700 });
  else if (type === S_IFLNK) symlinkSync(readLowerLink(layer, src, st.atimeNs), tmp);
  // fifos, sockets and device nodes keep their type; they carry no data to copy
  else mknod(tmp, st.mode & (S_IFMT | 0o7777), st.rdev);
}

/** Lower xattrs onto the copy (`src`, `dst`: paths or open fds), the overlay's own markers left out. */
export function copyXattrs(ovl: Overlay, src: XattrTarget, dst: XattrTarget): void {
  for (const name of listLayerXattrs(src)) {
    // The overlay's own markers describe the lower's place in its stack, not the copy.
    if (ovl.xattrs.isPrivate(name)) continue;
    const value = getXattr(src, name);
    if (value === null) continue;
    try {
      setXattr(dst, name, value);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'EOPNOTSUPP' && code !== 'EPERM') throw err;
    }
  }
}

/** Owner and permission bits a copy already has when it is made (a regular file's O_TMPFILE). */
interface Made {
  uid: number;
  gid: number;
  /** The permission bits it was created with are exactly the lower's (no umask, no default ACL). */
  perm: number | null;
}

/**
 * Owner, mode, xattrs, origin and times of the lower object (`src`, stat'ed as `st`) onto its
 * copy, in the kernel's order where it matters: chown first (it may clear set-id bits and
 * capabilities), then the mode and xattrs; times last, after everything that stamps them.
 * `src`/`dst` are paths or open fds (a regular file's copy is made on its fds: no path walk each).
 * `made`: what the copy got at its creation; a chown or chmod that would change nothing is skipped
 * (on a new file with no xattr yet, a chown to its own owner clears nothing either).
 */
function copyMetadata(ovl: Overlay, src: XattrTarget, st: RealStat, dst: XattrTarget, made: Made | null = null): void {
  const type = st.mode & S_IFMT;
  const uid = st.uid;
  const gid = st.gid;
  const perm = st.mode & 0o7777;
  if (made?.uid === uid && made.gid === gid) {
    // already the lower's owner
  } else if (typeof dst === 'number') fchownSync(dst, uid, gid);
  else lchownSync(dst, uid, gid);
  if (made?.perm === perm && (perm & 0o7000) === 0) {
    // created with these bits; a chown above cleared no set-id bit, as there is none
  } else if (typeof dst === 'number') fchmodSync(dst, perm);
  else if (type !== S_IFLNK) chmodSync(dst, perm);
  copyXattrs(ovl, src, dst);
  // After the xattrs, as ovl_copy_up_metadata: a regular file or dir only (nothing else opens).
  if (type === S_IFREG || type === S_IFDIR) copyFileattr(ovl, src, dst);
  // index=off: the kernel writes no origin for a lower hardlink, whose aliases copy up apart.
  // Not tried where it cannot be stored (storesOrigin): that set would only fail EPERM.
  if ((type === S_IFDIR || st.nlink === 1) && storesOrigin(ovl, st.mode)) setOrigin(ovl, dst, originOf(ovl, src, st));
  setTimes(dst, timeFromNs(st.atimeNs), timeFromNs(st.mtimeNs));
}

/**
 * The copy's `origin`. Under `userxattr` a symlink or special file cannot carry a user.* xattr
 * (EPERM, xattr_permission), and the kernel's ovl_set_origin ignores that EPERM: the object is
 * copied up without one (an ovl-check hunt with userxattr found the copy-up of a symlink or a fifo
 * failing EPERM here). The kernel's overlay inode still shows the lower's inode number until it
 * is evicted; ovl-fuse keeps it in Overlay.unstoredOrigins for the daemon's life (inode.ts).
 */
function setOrigin(ovl: Overlay, dst: XattrTarget, value: Buffer): void {
  try {
    setXattr(dst, ovl.xattrs.name('origin'), value);
  } catch (err) {
    if (errnoCodeOf(err) !== 'EPERM') throw err;
  }
}

/**
 * Whether a copy of mode `mode` can carry the overlay's xattrs (not a user.* one on a symlink or
 * special file): decides both whether copyMetadata writes an origin and whether the copy's lower
 * inode number goes to Overlay.unstoredOrigins instead.
 */
function storesOrigin(ovl: Overlay, mode: number): boolean {
  const type = mode & S_IFMT;
  return !ovl.xattrs.userxattr || type === S_IFREG || type === S_IFDIR;
}

/** Errnos of an upper that cannot make unnamed files (the named temp file is used then). */
const NO_TMPFILE = new Set(['EOPNOTSUPP', 'EISDIR', 'EINVAL']);

/**
 * The file the copy is written to, opened `access` (O_WRONLY or O_RDWR) with permission bits
 * `perm`: unnamed in the work dir (O_TMPFILE, as the kernel's ovl_copy_up_tmpfile: a crash leaves
 * nothing behind, and the work dir gets no entry to create and remove), or, on an upper without
 * O_TMPFILE, a fresh name there (returned).
 */
function openCopy(ovl: Overlay, access: number, perm: number): { fd: number; tmp: string | null } {
  if (ovl.tmpfileCopyUp) {
    try {
      return { fd: openSync(ovl.stack.work!, O_TMPFILE | access, perm), tmp: null };
    } catch (err) {
      if (!NO_TMPFILE.has((err as { code?: string }).code ?? '')) throw err;
      ovl.tmpfileCopyUp = false;
    }
  }
  const tmp = ovl.tempPath();
  return { fd: openSync(tmp, access | constants.O_CREAT | constants.O_EXCL, perm), tmp };
}

/**
 * What a file the daemon creates in the work dir gets without being told, learned from the first
 * copy (one fstat and one getxattr per mount): its owner (the daemon's fsuid, and fsgid or a
 * set-group-ID work dir's group) and whether it keeps the mode it was opened with (umask 0, which
 * the daemon sets, and no default ACL on the work dir). The copies after it skip a chown or chmod
 * that would change nothing.
 */
function madeInWork(ovl: Overlay, fd: number, perm: number): Made {
  ovl.workCreates ??= learnWorkCreates(ovl, fd, perm);
  const { uid, gid, keepsMode } = ovl.workCreates;
  return { uid, gid, perm: keepsMode ? perm : null };
}

function learnWorkCreates(ovl: Overlay, fd: number, perm: number): NonNullable<Overlay['workCreates']> {
  const st = fstatSync(fd);
  let acl: Buffer | null = null;
  try {
    acl = getXattr(ovl.stack.work!, 'system.posix_acl_default');
  } catch {
    // no ACLs on this filesystem: none to inherit
  }
  return { uid: st.uid, gid: st.gid, keepsMode: acl === null && process.umask() === 0 && (st.mode & 0o7777) === perm };
}

/** Open flags of a copy-up's caller that its copy's own fd can serve: the access mode and O_APPEND. */
const KEEPABLE = 3 | constants.O_APPEND;

/**
 * A regular file's copy: the data in the kernel (copy_file_range, stopping at the size stat'ed as
 * ovl_copy_up_data does), the metadata on the fds, then the complete file given its upper name
 * `dest` (linkat, or renameat2 NOREPLACE of the named temp). The data is fsynced before the name
 * appears, as ovl_copy_up_file does unless the mount is `volatile`: otherwise a power cut after the
 * link could leave an empty upper file hiding the lower's data the user never changed. That is one
 * full fsync (vfs_fsync(file, 0)) right after the data, none for an empty file; with `fsync=strict`
 * it moves after the metadata and is made for every file (ovl_copy_up_metadata's ovl_sync_file), so
 * the xattrs, owner and mode are on disk too before the name is (the kernel's order, traced on 6.18).
 * `keep`: the open flags (access mode, O_APPEND) of a caller that takes the copy's fd as its own
 * handle of the upper file (returned open) instead of opening the new name again.
 */
/**
 * A synced copy goes in chunks this size, each one's writeback started once it is copied: the
 * disk writes while the next chunk is copied and the fsync waits for the last chunk alone. The
 * fsync's guarantee is unchanged (it still precedes the name); 200 in-process copies of 1 MiB on
 * this VM's ext4 took 177–195 ms this way against 218–457 ms with one copy then the fsync, and
 * 200–251 / 183–378 / 184–200 ms with 64 / 128 / 512 KiB chunks (docs/fuse.md, "Copy-up, eighth pass").
 */
const WRITEBACK_CHUNK = 256 << 10;

/** The kernel's copy-up chunk (OVL_COPY_UP_CHUNK_SIZE). */
const COPY_CHUNK = 1 << 20;

/**
 * Copy a sparse lower file's data as ovl_copy_up_file does: in 1 MiB chunks, each from where
 * SEEK_DATA finds data when a chunk would start in a hole, then set the size (ovl_set_size), so
 * the copy keeps the lower's holes at chunk granularity (a 100 MiB file with two data bytes takes
 * 2 MiB, not 100), between filesystems too (copyRangeAnyway: the kernel's do_splice_direct keeps
 * them there; before 2026-12-07 such a copy was written dense, and failed ENOSPC where the
 * kernel's fit). False when the lower has no SEEK_DATA: the copy is emptied and the caller copies
 * the plain way.
 */
function copySparse(fdIn: number, fdOut: number, size: number, writeback: boolean, between: () => void, before?: (offset: number, size: number) => void): boolean {
  // What `between` throws ends the copy (its caller is being killed, the mount is gone): no plain
  // copy after it.
  let stopped = false;
  const step = () => {
    stopped = true;
    between();
    stopped = false;
  };
  try {
    for (let pos = 0, dataPos = -1; pos < size; ) {
      if (dataPos < pos) {
        try {
          dataPos = Number(seek(fdIn, pos, SEEK_DATA));
        } catch (err) {
          if (errnoCodeOf(err) === 'ENXIO') break;
          throw err;
        }
        if (dataPos > pos) {
          pos = dataPos;
          continue;
        }
      }
      stopped = true;
      before?.(pos, Math.min(COPY_CHUNK, size - pos));
      stopped = false;
      const n = copyRangeAnyway(fdIn, pos, fdOut, Math.min(COPY_CHUNK, size - pos));
      if (n <= 0) break;
      if (writeback && pos + n < size) startWriteback(fdOut, pos, n);
      pos += n;
      step();
    }
    truncateFd(fdOut, size);
    return true;
  } catch (err) {
    if (stopped) throw err;
    // SEEK_DATA moved the lower's offset, which the plain copy starts from.
    truncateFd(fdOut, 0);
    seek(fdIn, 0, SEEK_SET);
    return false;
  }
}

/**
 * `size` bytes of data from `fdIn` (`from`, stat'ed as `fromSt`) into `fdOut`, fsynced unless the
 * mount is volatile (or fsync=strict, which syncs after the metadata). Data past `size` (a metacopy
 * file's data file grown since) is not the file's: the copy is cut there, as the kernel copies
 * only the overlay inode's size.
 */
function copyData(ovl: Overlay, fdIn: number, from: string, fromSt: RealStat, fdOut: number, size: number, dest: string): void {
  const synced = !ovl.cfg.volatile;
  // Blocks shared where the filesystem can (XFS, btrfs), as ovl_copy_up_file tries first: no data
  // read, none written, and no fsync after it (the kernel's clone skips its vfs_fsync too).
  if (cloneFile(fdIn, fdOut, from)) {
    if (fromSt.size !== BigInt(size)) truncateFd(fdOut, size);
    return;
  }
  // A sync thread to take the fsync at the end, started now so that it runs by then.
  if (synced && size >= SERVED_SYNC_BYTES) ovl.prepareSync();
  copyBytes(ovl, fdIn, from, fromSt, fdOut, size, dest, synced);
  if (!ovl.cfg.volatile && !ovl.cfg.fsyncStrict) syncCopied(ovl, fdOut, dest, size);
}

/**
 * copyData's copy of the bytes. Between chunks, other requests of the mount are served
 * (Overlay.duringCopy); before each, a chunk the page cache lacks is read in by a read thread
 * while they are served too (Overlay.copyReads).
 */
function copyBytes(ovl: Overlay, fdIn: number, from: string, fromSt: RealStat, fdOut: number, size: number, dest: string, synced: boolean): void {
  const between = ovl.duringCopy;
  const reads = ovl.copyReads;
  const sparse = fromSt.blocks * 512 < size;
  const end = Math.min(size, Number(fromSt.size));
  reads?.begin(fdIn, end, sparse, from);
  const before = reads === null ? undefined : reads.chunk;
  try {
    if (!sparse || !copySparse(fdIn, fdOut, size, synced, between, before)) {
      if (sparse && reads !== null) {
        // The plain copy after a sparse one gave up (between filesystems) reads ahead again.
        reads.finish();
        reads.begin(fdIn, end, false, from);
      }
      copyFdData(fdIn, fdOut, from, size, dest, { writebackEvery: synced ? WRITEBACK_CHUNK : 0, between, before });
      // copy_file_range's chunks may run past `size` in a longer data file; a shorter one leaves
      // the rest a hole (ovl_set_size).
      if (fromSt.size !== BigInt(size)) truncateFd(fdOut, size);
    }
  } finally {
    reads?.finish();
  }
}

/**
 * Copies of this many bytes or more are fsynced while the mount is served (Overlay.syncCopy: on a
 * sync thread, the loop answering reads meanwhile): 16 MiB. Handing over and being rung back costs
 * the loop two thread wake-ups, ~220 µs a copy-up here (1 MiB copy-ups pinned to one CPU: 1.09 ms
 * of daemon CPU against 0.81, wall +17 %), more than a small copy's fsync usually takes; that one
 * is synced in place, and holds the mount for as long as the disk takes it.
 */
const SERVED_SYNC_BYTES = 16 << 20;

function syncCopied(ovl: Overlay, fd: number, dest: string, size: number): void {
  if (size >= SERVED_SYNC_BYTES) ovl.syncCopy(fd, dest);
  else fsyncFd(fd, dest);
}

/**
 * How a regular file's copy gets its data: copied (from `from`, the lower file itself or, for a
 * metacopy lower file, the data file below it), none (an O_TRUNC open's copy), or `metacopy`: only
 * the size, the data staying below behind a `metacopy` marker (metacopy=on, a copy-up for
 * metadata: ovl_need_meta_copy_up).
 */
type DataCopy = { from: string; st: RealStat } | 'none' | 'metacopy';

function copyFileUp(ovl: Overlay, src: string, st: RealStat, dest: string, keep: number | null, data: DataCopy): CopiedFile {
  // The kernel overlay never touches a lower's atime.
  const fdIn = openFile(src, constants.O_RDONLY | constants.O_NOATIME);
  const perm = st.mode & 0o777;
  let out: { fd: number; tmp: string | null } | null = null;
  let kept = false;
  try {
    out = openCopy(ovl, keep !== null && (keep & 3) === constants.O_RDWR ? constants.O_RDWR : constants.O_WRONLY, perm);
    const made = madeInWork(ovl, out.fd, perm);
    if (data === 'metacopy') truncateFd(out.fd, st.size);
    else if (data !== 'none' && st.size !== 0n) {
      const from = data.from === src ? fdIn : openFile(data.from, constants.O_RDONLY | constants.O_NOATIME);
      try {
        copyData(ovl, from, data.from, data.st, out.fd, Number(st.size), dest);
      } finally {
        if (from !== fdIn) closeFd(from);
      }
    }
    copyMetadata(ovl, fdIn, st, out.fd, made);
    // After the xattrs it copied, whose private ones it leaves out (ovl_copy_up_metadata's order).
    if (data === 'metacopy') setXattr(out.fd, ovl.xattrs.name('metacopy'), METACOPY_PLAIN);
    if (ovl.cfg.fsyncStrict) syncCopied(ovl, out.fd, dest, Number(st.size));
    if (out.tmp === null) linkFd(out.fd, dest);
    else rename2(out.tmp, dest, ['noreplace']);
    out.tmp = null;
    // copy_file_range refuses an O_APPEND fd: the caller's status flags come after the copy.
    if (keep !== null && keep & constants.O_APPEND) setStatusFlags(out.fd, constants.O_APPEND);
    // The copy as a lookup of `dest` would stat it now (the link moved its ctime and nlink).
    const copySt = fstatReal(out.fd);
    kept = keep !== null;
    return { st: copySt, fd: kept ? out.fd : null };
  } finally {
    if (out && !kept) closeSync(out.fd);
    if (out?.tmp) rmSync(out.tmp, { force: true });
    closeFd(fdIn);
  }
}

/** fsync(2) of the dir at `path` (opened read-only, as the kernel's ovl_sync_file opens its copy). */
function fsyncDir(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Any other object: built at a temp name in the work dir and renamed into place. */
function copyOtherUp(ovl: Overlay, layer: Layer, src: string, st: RealStat, dest: string): void {
  const tmp = ovl.tempPath();
  try {
    buildOther(layer, src, st, tmp);
    copyMetadata(ovl, src, st, tmp);
    // fsync=strict: a dir's copy too is synced, metadata and all, before it takes its name.
    if (ovl.cfg.fsyncStrict && (st.mode & S_IFMT) === S_IFDIR) fsyncDir(tmp);
    rename2(tmp, dest, ['noreplace']);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export { markImpure } from './origin-fix.js';

/** A regular file's copy: its stat after the link, and its fd when the caller keeps it. */
interface CopiedFile {
  st: RealStat;
  fd: number | null;
}

/**
 * What copyUpOne made: the inode the origin names (a non-dir given one), the copy (a regular
 * file), and whether that copy is a metadata-only one (its data left below).
 */
interface Copied {
  origin: bigint | null;
  file: CopiedFile | null;
  metacopy: boolean;
}

/**
 * Copy `node` (in the merged dir `parent`, already copied up) up; `keep` as for copyFileUp.
 * `want`: see Want.
 */
function copyUpOne(ovl: Overlay, node: Node, parent: Node, keep: number | null, want: Want): Copied {
  const src = node.hits[0]!;
  // A cached dir node carries the stat of its lookup; copy what the lower has now.
  const st = node.fresh ? src.st : lstatReal(src.real);
  const type = st.mode & S_IFMT;
  const parentUpper = parent.hits[0]!.real;
  const parentTimes = timesOf(parentUpper);
  const dest = upperPath(ovl, node.path);
  let file: CopiedFile | null = null;
  // A lower metacopy file's copy is one too, with no redirect: the lookup of its name goes on to
  // the lower one, whose own redirect leads to the data (as the kernel's, checked on 6.18).
  const metacopy = want === 'meta' && ovl.cfg.metacopy && type === S_IFREG;
  const dataHit = node.data ?? src;
  const data: DataCopy = metacopy ? 'metacopy' : want === 'empty' ? 'none' : { from: dataHit.real, st: dataHit.st };
  if (type === S_IFREG) file = copyFileUp(ovl, src.real, st, dest, keep, data);
  else copyOtherUp(ovl, src.layer, src.real, st, dest);
  const nowImpure = markImpure(ovl, parentUpper, parent.hits[0]);
  // Copy-up is invisible: the upper parent keeps its times, as with the kernel.
  if (parentTimes) setTimes(parentUpper, parentTimes[0], parentTimes[1]);
  // After a metadata copy an fd opened before still reads the lower's data, as the kernel's does,
  // and is stat'ed as the new upper file.
  const name = st.nlink > 1 ? node.path : null;
  if (metacopy) ovl.handles.attachMeta(objectKey(dataHit.st), dest, name);
  else ovl.handles.followCopyUp(objectKey(dataHit.st), dest, name);
  ovl.onCopyUp?.(node.path, nowImpure, (type !== S_IFDIR && st.nlink > 1) || !keepsListingPlace(node, parent));
  return { origin: type !== S_IFDIR && st.nlink === 1 ? ovl.inos.of(st.ino, src.layer) : null, file, metacopy };
}

/**
 * Whether `node`'s name keeps its place in the listing of merged dir `parent` once it is in the
 * upper: a merged listing starts with the lowest layer's names (mergedOrder), so a name the lowest
 * layer holds stays where it was; any other moves up among the upper's names.
 */
function keepsListingPlace(node: Node, parent: Node): boolean {
  const lowest = parent.hits[parent.hits.length - 1]!;
  if (node.hits[node.hits.length - 1]!.layer === lowest.layer) return true;
  return !lowest.layer.upper && lstatRealOrNull(realChild(lowest.real, splitPath(node.path)[1])) !== null;
}

/**
 * What a copy-up is for, which decides a regular file's data: `meta` (a change of metadata: with
 * metacopy=on the data stays below, ovl_need_meta_copy_up), `data` (a write: all of it), `empty` (an
 * O_TRUNC open, which ovl_copy_up_flags copies without data, with the lower's times).
 */
type Want = 'meta' | 'data' | 'empty';

/** A merged object with an upper copy, and the copy's fd and stat when copyUpOpen just made it. */
export interface CopiedUp {
  node: Node;
  fd: number | null;
  st: RealStat | null;
}

/**
 * Make sure the merged object at `path` has an upper copy, for a change of its metadata or name
 * (metacopy=on leaves a regular file's data below); returns its node afterwards.
 */
export function copyUp(ovl: Overlay, path: string): Node {
  return copyUpKeep(ovl, path, null, 'meta').node;
}

/** copyUp for an O_TRUNC open that fails after it (ETXTBSY): a regular file's copy holds no data. */
export function copyUpTruncated(ovl: Overlay, path: string): Node {
  return copyUpKeep(ovl, path, null, 'empty').node;
}

/**
 * copyUp for an open with `flags` (write access) that needs a handle of the upper file: when this
 * call copies a regular file up and the flags ask nothing of the fd beyond its access mode and
 * O_APPEND, the copy's own fd comes back (`fd`, with its stat after the link), saving the open of
 * the new name and its fstat; otherwise `fd` is null and the caller opens the upper file itself.
 */
export function copyUpOpen(ovl: Overlay, path: string, flags: number): CopiedUp {
  // Before any copy-up: refuseNonRegularOpen (a FIFO's copy's open would hang) and may_open's
  // append-only and immutable rules (protect.ts).
  const check = (node: Node) => {
    refuseNonRegularOpen(node.hits[0]!.st, path);
    refuseOpen(protOf(ovl, node), flags, path);
  };
  return copyUpKeep(ovl, path, (flags & ~(KEEPABLE | O_CLOEXEC | O_LARGEFILE)) === 0 ? flags & KEEPABLE : null, 'data', check);
}

/**
 * copyUp after `check` of the merged object found (its throw leaves everything as it was);
 * `data`: the change needs the data in the upper (a truncate).
 */
export function copyUpChecked(ovl: Overlay, path: string, check: (node: Node) => void, data = false): Node {
  return copyUpKeep(ovl, path, null, data ? 'data' : 'meta', check).node;
}

function copyUpKeep(ovl: Overlay, path: string, keep: number | null, want: Want, check?: (node: Node) => void): CopiedUp {
  const node = path === '/' ? lookupDir(ovl, '/') : lookupPath(ovl, path);
  check?.(node);
  // ovl_copy_up_flags looks a data-only layer's data up first (ovl_verify_lowerdata), for any
  // copy-up and for a metacopy file already in the upper too.
  if (node.dataOnly === 'missing') fail('ENOENT', `${path}: data-only layers hold no data file`);
  if (node.dataOnly === 'lazy') ovl.dataLoaded.add(path);
  if (node.hits[0]!.layer.upper) {
    if ((node.data || node.dataOnly) && want !== 'meta') return { node: copyDataUp(ovl, node, want), fd: null, st: null };
    return { node, fd: null, st: null };
  }
  if (!ovl.stack.upper) fail('EROFS', path);
  const parent = copyUp(ovl, splitPath(path)[0]);
  const { origin, file, metacopy } = copyUpOne(ovl, node, parent, keep, want);
  // A dir's files are found where they were (its new upper copy is empty): they stay remembered.
  const files = node.isDir ? ovl.files.get(path) : undefined;
  ovl.invalidate(path);
  // A regular file's copy was stat'ed on its fd: no lookup by path needed to build its node
  // (but a metacopy file's node needs its data found below).
  const copied = file && !metacopy ? upperFileNode(ovl, path, upperPath(ovl, path), file.st) : lookupPath(ovl, path);
  if (files) ovl.filesIn(path, files);
  // The merged file keeps the inode number of the lower object its origin names (inode.ts): known
  // here, so it need not be read back and decoded by handle (getxattr + open_by_handle_at).
  const top = copied.hits[0]!;
  if (origin !== null && top.layer.upper) {
    ovl.originInos.set(top.st, origin);
    // Kept for the mount where the stored origin names nothing: not storable, or empty (a lower
    // without file handles), as the kernel's overlay inode keeps the lower's number.
    if (!storesOrigin(ovl, top.st.mode) || ovl.noHandleDevs.has(node.hits[0]!.st.dev)) ovl.unstoredOrigins.set(unstoredOriginKey(top.st), origin);
  }
  return { node: copied, fd: file?.fd ?? null, st: file?.fd != null ? file.st : null };
}

/**
 * The data of a metacopy file in the upper (`node`, whose data is below), copied into that same
 * upper file before a write, as ovl_copy_up_meta_inode_data does: the data up to the file's size
 * (none for an O_TRUNC open), fsynced as any copy-up's, the file's `security.capability` put back
 * (the write would drop it), and only then the `metacopy` marker removed. Its inode is unchanged;
 * read-only fds still on the data file follow it into the upper now.
 */
function copyDataUp(ovl: Overlay, node: Node, want: Want): Node {
  const top = node.hits[0]!;
  const data = node.data ?? top;
  // As the kernel: the size of the object below (the data file, grown or shrunk offline, or a
  // metacopy file between), not the upper's; the upper is only ever extended by it, never cut.
  const size = want === 'empty' ? 0 : Number(node.lowerSize ?? data.st.size);
  const fd = openFile(top.real, constants.O_WRONLY);
  try {
    if (size > 0) {
      const caps = getXattr(fd, CAPS);
      const fdIn = openFile(data.real, constants.O_RDONLY | constants.O_NOATIME);
      try {
        copyData(ovl, fdIn, data.real, data.st, fd, Math.min(size, Number(data.st.size)), top.real);
      } finally {
        closeFd(fdIn);
      }
      if (top.st.size > BigInt(size)) truncateFd(fd, top.st.size);
      if (caps !== null) setXattr(fd, CAPS, caps);
    }
    removeXattrOf(fd, ovl.xattrs.name('metacopy'));
  } finally {
    closeFd(fd);
  }
  if (node.data) ovl.handles.followCopyUp(objectKey(data.st), top.real, data.st.nlink > 1 ? node.path : null, objectKey(top.st));
  ovl.invalidate(node.path);
  return lookupPath(ovl, node.path);
}

const CAPS = 'security.capability';
