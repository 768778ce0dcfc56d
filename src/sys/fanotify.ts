// fanotify(7) as ovl-fuse's lower-layer watcher needs it: one notification group reporting the
// parent directory's file handle plus the entry name (FAN_REPORT_DFID_NAME), filesystem-wide marks
// (a layer can be anywhere on its filesystem, and inotify would need a watch per directory), and a
// pure decoder of the event records. No fd per event (FID groups report FAN_NOFD), so a flood of
// events never costs open files. Root only: filesystem marks need CAP_SYS_ADMIN.
import { constants, fstatSync, readSync } from 'node:fs';
import { readlinkSync } from './fs-bytes.js';
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import { AT_FDCWD, O_CLOEXEC, O_PATH, c } from './libc.js';
import { cPath, decodeName } from '../format/byte-names.js';

// include/uapi/linux/fanotify.h
export const FAN_MODIFY = 0x2;
export const FAN_ATTRIB = 0x4;
export const FAN_CLOSE_WRITE = 0x8;
export const FAN_MOVED_FROM = 0x40;
export const FAN_MOVED_TO = 0x80;
export const FAN_CREATE = 0x100;
export const FAN_DELETE = 0x200;
export const FAN_DELETE_SELF = 0x400;
export const FAN_MOVE_SELF = 0x800;
export const FAN_Q_OVERFLOW = 0x4000;
export const FAN_ONDIR = 0x40000000;

const FAN_CLOEXEC = 0x1;
const FAN_NONBLOCK = 0x2;
const FAN_CLASS_NOTIF = 0x0;
const FAN_REPORT_DIR_FID = 0x400;
const FAN_REPORT_NAME = 0x800;
const FAN_MARK_ADD = 0x1;
const FAN_MARK_FILESYSTEM = 0x100;
const O_RDONLY = 0;

const FAN_EVENT_INFO_TYPE_FID = 1;
const FAN_EVENT_INFO_TYPE_DFID_NAME = 2;
const FAN_EVENT_INFO_TYPE_DFID = 3;
const FANOTIFY_METADATA_VERSION = 3;
/** sizeof(struct fanotify_event_metadata). */
const METADATA_LEN = 24;
/** open_by_handle_at's answers for a directory that no longer exists. */
const GONE = [errnoNumber('ESTALE'), errnoNumber('ENOENT')];

/**
 * What a layer change looks like to the watcher: every entry event, and data or attribute changes
 * of anything, directories included. FAN_CLOSE_WRITE adds nothing FAN_MODIFY does not already say.
 */
export const WATCH_MASK = FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_MODIFY | FAN_ATTRIB | FAN_ONDIR;

/** One decoded event. */
export interface FanEvent {
  /** FAN_* bits (the low 32 bits of the 64-bit mask; no event this group asks for lives above). */
  mask: number;
  /** The process that caused it (the thread-group id). */
  pid: number;
  /** The filesystem id (statfs f_fsid as one little-endian 64-bit number, as statVfs reports it). */
  fsid: bigint;
  /**
   * The directory's `struct file_handle` as the kernel wrote it (handle_bytes, handle_type,
   * f_handle): a view into the read buffer, valid until the next read into it.
   */
  dirHandle: Buffer | null;
  /** fsid and handle bytes as one string: names the directory across filesystems, for a Map key. */
  dirKey: string;
  /** The entry in that directory; null when the event is about the directory itself. */
  name: string | null;
}

/** An overflow event (the kernel's queue was full and events were lost). */
export function isOverflow(ev: FanEvent): boolean {
  return (ev.mask & FAN_Q_OVERFLOW) !== 0;
}

/**
 * Decode the records a read(2) on the group returned. Pure. Records of a version this code does
 * not know end the buffer (the kernel would change the version before changing the layout).
 * Records of process `skipPid` (the daemon's own changes) are counted in `skipped` and not decoded:
 * every create through the mount makes one, and decoding it cost strings and a BigInt.
 */
export function decodeEvents(buf: Buffer, len: number = buf.length, skipPid = 0, counts?: { skipped: number }): FanEvent[] {
  const out: FanEvent[] = [];
  // A DataView, not Buffer#readUInt32LE: each of those is a chain of JS calls, and the daemon
  // decodes its own events (a copy-up's link and parent times) in interpreted code for a while.
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at + METADATA_LEN <= len) {
    const eventLen = view.getUint32(at, true);
    if (eventLen < METADATA_LEN || at + eventLen > len || buf[at + 4] !== FANOTIFY_METADATA_VERSION) break;
    const metaLen = view.getUint16(at + 6, true);
    const mask = view.getUint32(at + 8, true);
    const pid = view.getInt32(at + 20, true);
    // An overflow carries no pid worth trusting: never skipped.
    if (skipPid !== 0 && pid === skipPid && (mask & FAN_Q_OVERFLOW) === 0) {
      if (counts) counts.skipped++;
    } else {
      const ev: FanEvent = { mask, pid, fsid: 0n, dirHandle: null, dirKey: '', name: null };
      decodeInfo(buf, at + metaLen, at + eventLen, ev);
      out.push(ev);
    }
    at += eventLen;
  }
  return out;
}

/** Fill `ev` from the info records in buf[start, end) (struct fanotify_event_info_fid, name after the handle). */
function decodeInfo(buf: Buffer, start: number, end: number, ev: FanEvent): void {
  let at = start;
  while (at + 4 <= end) {
    const type = buf[at];
    const recLen = buf.readUInt16LE(at + 2);
    if (recLen < 4 || at + recLen > end) return;
    if (type === FAN_EVENT_INFO_TYPE_DFID_NAME || type === FAN_EVENT_INFO_TYPE_DFID || type === FAN_EVENT_INFO_TYPE_FID) {
      ev.fsid = buf.readBigUInt64LE(at + 4);
      const hAt = at + 12;
      const hEnd = Math.min(hAt + 8 + buf.readUInt32LE(hAt), end);
      ev.dirHandle = buf.subarray(hAt, hEnd);
      ev.dirKey = buf.toString('latin1', at + 4, hEnd);
      if (type === FAN_EVENT_INFO_TYPE_DFID_NAME) {
        const nul = buf.indexOf(0, hEnd);
        const name = decodeName(buf, hEnd, nul < 0 || nul > at + recLen ? at + recLen : nul);
        // Events on a directory itself come with its own handle and the name ".".
        ev.name = name === '.' || name === '' ? null : name;
      }
    }
    at += recLen;
  }
}

/** A non-blocking, close-on-exec notification group reporting directory handles and names. */
export function fanotifyGroup(): number {
  const flags = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DIR_FID | FAN_REPORT_NAME;
  return check(c.fanotify_init(flags, O_RDONLY | O_CLOEXEC) as number, 'fanotify_init');
}

/** Watch every object of the filesystem that holds `path` for the events of `mask`. */
export function markFilesystem(fd: number, path: string, mask: number = WATCH_MASK): void {
  check(c.fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, mask, AT_FDCWD, cPath(path)) as number, 'fanotify_mark', path);
}

const FAN_MARK_IGNORE = 0x400;
const FAN_MARK_IGNORED_SURV_MODIFY = 0x40;
const FAN_EVENT_ON_CHILD = 0x08000000;

/**
 * Never queue the events of `mask` on the directory `path` and its entries (an ignore mark, Linux
 * 6.0+: FAN_MARK_IGNORE, which a directory's mark needs with SURV_MODIFY), whatever other mark of
 * the group (a filesystem mark) asks for them.
 */
export function ignoreDir(fd: number, path: string, mask: number = WATCH_MASK): void {
  const flags = FAN_MARK_ADD | FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY;
  check(c.fanotify_mark(fd, flags, mask | FAN_ONDIR | FAN_EVENT_ON_CHILD, AT_FDCWD, cPath(path)) as number, 'fanotify_mark', path);
}

/**
 * Read what is queued into `buf` (nothing when the queue is empty: the group is non-blocking).
 * `bytes` tells whether the buffer was nearly full (more may be waiting); `skipped` counts the
 * records of `skipPid` left out (decodeEvents).
 */
export function readEvents(fd: number, buf: Buffer, skipPid = 0): { events: FanEvent[]; bytes: number; skipped: number } {
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return { events: [], bytes: 0, skipped: 0 };
    throw err;
  }
  const counts = { skipped: 0 };
  return { events: decodeEvents(buf, n, skipPid, counts), bytes: n, skipped: counts.skipped };
}

/** pathOfHandle's answer for a directory whose path is longer than PATH_MAX: /proc cannot spell it. */
export const PATH_TOO_LONG = Symbol('path longer than PATH_MAX');

/**
 * The path of the directory a handle names, as this process sees it (open_by_handle_at on any fd
 * of the same filesystem, then the fd's /proc link). Null when the directory is gone (ESTALE) or
 * has no path here (outside the mount that `mountFd` belongs to); PATH_TOO_LONG when its path is
 * longer than PATH_MAX (a review: such dirs anywhere on a layer's filesystem made the watcher drop
 * every cache); handleBelow says more of those. Directories are always reconnected to their
 * parents by the kernel, so the path is complete.
 */
export function pathOfHandle(mountFd: number, handle: Buffer): string | null | typeof PATH_TOO_LONG {
  const fd = openHandle(mountFd, handle);
  if (fd < 0) return null;
  try {
    const path = readlinkSync(`/proc/self/fd/${fd}`);
    return path.startsWith('/') && !path.endsWith(' (deleted)') ? path : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return PATH_TOO_LONG;
    throw err;
  } finally {
    c.close(fd);
  }
}

/** A directory, by device and inode number (as fstat gives them with bigint). */
export interface DirId {
  dev: bigint;
  ino: bigint;
}

/** How far up handleBelow walks before it gives up and answers true (the safe answer). */
const MAX_DEPTH = 16_384;

/** `..` out of reach: the dir lies outside the tree `mountFd`'s mount shows (a bind mount of a subdir). */
const OUT_OF_REACH = [errnoNumber('ENOENT'), errnoNumber('EXDEV'), errnoNumber('EACCES')];

/**
 * Whether the directory a handle names is one of `dirs` or lies below one, found by walking up
 * through `..` from it (no path is spelled, so any depth works); null when it is gone. For the
 * directories pathOfHandle cannot name. A walk that leaves the tree `mountFd`'s mount shows (the
 * layers in a bind mount of a subdir, the dir outside it: `..` is ENOENT there) found none of
 * `dirs` on its way: false. One deeper than MAX_DEPTH: true, as the caller then takes its events
 * for lost ones rather than drop them.
 */
export function handleBelow(mountFd: number, handle: Buffer, dirs: readonly DirId[]): boolean | null {
  let fd = openHandle(mountFd, handle);
  if (fd < 0) return null;
  try {
    let here = fstatSync(fd, { bigint: true });
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      if (dirs.some((d) => d.dev === here.dev && d.ino === here.ino)) return true;
      const up = checkUnless(c.openat(fd, '..', O_PATH | constants.O_DIRECTORY | O_CLOEXEC, 0) as number, OUT_OF_REACH, 'openat', '..');
      if (up < 0) return false;
      c.close(fd);
      fd = up;
      const above = fstatSync(fd, { bigint: true });
      // `..` of the root is the root itself.
      if (above.dev === here.dev && above.ino === here.ino) return false;
      here = above;
    }
    return true;
  } finally {
    c.close(fd);
  }
}

/** An O_PATH fd of what `handle` names (closed with libc's close: node:fs did not open it, and a worker thread warns when it closes such fds), or -1 when it is gone. */
function openHandle(mountFd: number, handle: Buffer): number {
  return checkUnless(c.open_by_handle_at(mountFd, handle, O_PATH | O_CLOEXEC) as number, GONE, 'open_by_handle_at');
}

/** Close a group made by fanotifyGroup (libc's close, for the same reason). */
export function closeGroup(fd: number): void {
  c.close(fd);
}
