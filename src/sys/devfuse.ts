// The kernel FUSE device: open /dev/fuse, mount(2) a fuse filesystem served through that fd,
// wait on it (and on other fds) with poll(2), and register backing files for FUSE passthrough.
// Requests are read and replies written with libc's read/write: node's readSync/writeSync cost
// the same once compiled, but run ~10 JS calls of argument checks first (validators wrapped in
// hideStackFrames), which a fresh daemon interprets for its first thousands of requests.
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { cPath } from '../format/byte-names.js';
import { realpathSync } from './fs-bytes.js';
import { basename, dirname, join, resolve } from 'node:path';
import { errnoNumber } from '../errors.js';
import { check, checkUnless, throwFsError } from './call.js';
import { MS_RDONLY, POLLERR, POLLHUP, POLLIN, POLLNVAL, c } from './libc.js';
import { listMounts } from './mount.js';

// <linux/fuse.h>: _IOW(229, 1, struct fuse_backing_map) and _IOW(229, 2, uint32_t).
const FUSE_DEV_IOC_BACKING_OPEN = 0x4010e501;
const FUSE_DEV_IOC_BACKING_CLOSE = 0x4004e502;
/** A signal cut the wait short: nothing is ready, the caller looks again. */
const INTERRUPTED = [errnoNumber('EINTR')];
/**
 * What a read of /dev/fuse may answer besides a request: unmounted (ENODEV), a signal (EINTR),
 * nothing queued (EAGAIN), a request interrupted before it was read (ENOENT).
 */
const READ_ANSWERS = ['ENODEV', 'EINTR', 'EAGAIN', 'ENOENT'].map(errnoNumber);
/** What a write to /dev/fuse may answer: the request is gone (ENOENT: interrupted) or unmounted (ENODEV). */
const WRITE_ANSWERS = ['ENOENT', 'ENODEV'].map(errnoNumber);

export interface DevFuseMountOptions {
  /** The fs type becomes fuse.<subtype> (mountinfo shows it; `umount -t` matches it). */
  subtype: string;
  /** The mount source shown in mountinfo. */
  source: string;
  readonly: boolean;
  /** mount(8)'s per-mount flags: MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_NOSYMFOLLOW when set. */
  vfs?: { nosuid?: boolean; nodev?: boolean; noexec?: boolean; nosymfollow?: boolean };
}

const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;
const MS_NOSYMFOLLOW = 256;
const MS_REMOUNT = 32;

/** Open the FUSE device (O_RDWR, close-on-exec); the fd is what mount(2)'s `fd=` names. */
export function openDevFuse(): number {
  try {
    return openSync('/dev/fuse', 'r+');
  } catch (err) {
    return throwFsError(err, 'open', '/dev/fuse', 'cannot open the FUSE device');
  }
}

/**
 * Mount a fuse filesystem at `target` served by `fd`. Root needs no fusermount. `allow_other` and
 * `default_permissions` make it usable by every user with the kernel's permission checks, as an
 * overlay mount is; devices and setuid stay honoured unless `nodev`/`nosuid` were given, as on an
 * overlay mount.
 * The mount is live when this returns: the kernel has queued INIT for the fd's reader.
 */
export function mountDevFuse(fd: number, target: string, o: DevFuseMountOptions): void {
  const data = `fd=${fd},rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions`;
  check(c.mount(cPath(o.source), cPath(target), `fuse.${o.subtype}`, mountFlags(o), data) as number, `mount fuse.${o.subtype}`, target);
}

/**
 * Remount the FUSE mount at `target` (MS_REMOUNT, as mount(8) does): read-only or not, and its
 * per-mount flags, which MS_REMOUNT replaces (give the ones to keep); its atime flags stay. The
 * kernel's FUSE client takes no option data on a remount (the old mount API's is ignored).
 */
export function remountFuse(target: string, o: Pick<DevFuseMountOptions, 'readonly' | 'vfs'>): void {
  check(c.mount(null, cPath(target), null, MS_REMOUNT | mountFlags(o), null) as number, 'remount', target);
}

function mountFlags(o: Pick<DevFuseMountOptions, 'readonly' | 'vfs'>): number {
  const v = o.vfs ?? {};
  return (o.readonly ? MS_RDONLY : 0) | (v.nosuid ? MS_NOSUID : 0) | (v.nodev ? MS_NODEV : 0) | (v.noexec ? MS_NOEXEC : 0) | (v.nosymfollow ? MS_NOSYMFOLLOW : 0);
}

/**
 * Let the kernel read ahead up to `kb` KiB on the fuse mount at `target` (its bdi's
 * read_ahead_kb). INIT can only lower the kernel's 128 KiB default (fs/fuse/inode.c keeps the
 * smaller of the two), so without this a sequential read reaches the daemon as 128 KiB READs
 * whatever max_pages allows. Call it once INIT is answered (INIT would lower it again). Best
 * effort, root only: false when it could not be set, and the mount works as before.
 */
export function setFuseReadahead(target: string, kb: number): boolean {
  try {
    // mountinfo shows the canonical path; resolving the mount point itself would ask the daemon.
    const abs = resolve(target);
    const where = abs === '/' ? abs : join(realpathSync(dirname(abs)), basename(abs));
    let dev: string | undefined;
    for (const m of listMounts()) if (m.target === where && m.fstype.startsWith('fuse')) dev = m.dev;
    if (dev === undefined) return false;
    writeFileSync(`/sys/class/bdi/${dev}/read_ahead_kb`, String(kb));
    return true;
  } catch {
    return false;
  }
}

export function closeDevFuse(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed: nothing to release.
  }
}

/**
 * One request from /dev/fuse into `buf`: its length, or a negated errno of READ_ANSWERS (never a
 * throw for those: the loop meets them at every unmount and interrupt). Other errors throw.
 */
export function readDev(fd: number, buf: Buffer): number {
  return checkUnless(c.read(fd, buf, buf.length) as number, READ_ANSWERS, 'read', '/dev/fuse');
}

const F_SETFL = 4;
const O_NONBLOCK = 0o4000;

/**
 * Make reads of the /dev/fuse fd return EAGAIN instead of waiting (or wait again): a request seen
 * by poll may be gone by the read (interrupted before it was read), and a read that waited then
 * would hold whatever the reader was in the middle of.
 */
export function setDevNonblocking(fd: number, on: boolean): void {
  check(c.fcntl(fd, F_SETFL, 'int', on ? O_NONBLOCK : 0) as number, 'fcntl', '/dev/fuse');
}

/** Write `len` bytes of `buf` (a reply or notification) to /dev/fuse: `len`, or a negated errno of WRITE_ANSWERS. */
export function writeDev(fd: number, buf: Buffer, len: number = buf.length): number {
  return checkUnless(c.write(fd, buf, len) as number, WRITE_ANSWERS, 'write', '/dev/fuse');
}

/** A reusable pollfd array for a fixed set of fds (no allocation per wait). */
export class PollSet {
  private buf: Buffer;
  constructor(private fds: number[]) {
    this.buf = Buffer.alloc(8 * fds.length);
    fds.forEach((fd, i) => {
      this.buf.writeInt32LE(fd, 8 * i);
      this.buf.writeInt16LE(POLLIN, 8 * i + 4);
    });
  }

  /**
   * Block until one fd is ready (or `timeoutMs`, -1 = forever; 0 asks without waiting): how many
   * are; EINTR counts as nothing ready (negative).
   */
  wait(timeoutMs = -1): number {
    // revents cleared by byte: Buffer#writeInt16LE is a chain of JS calls, run before every request.
    for (let i = 0; i < this.fds.length; i++) this.buf[8 * i + 6] = this.buf[8 * i + 7] = 0;
    return checkUnless(c.poll(this.buf, this.fds.length, timeoutMs) as number, INTERRUPTED, 'poll');
  }

  /** Whether the i-th fd was readable at the last wait. */
  readable(i: number): boolean {
    return (this.revents(i) & POLLIN) !== 0;
  }

  /** POLLERR/POLLHUP/POLLNVAL on the i-th fd at the last wait: for /dev/fuse after umount, the next read says ENODEV. */
  failed(i: number): boolean {
    return (this.revents(i) & (POLLERR | POLLHUP | POLLNVAL)) !== 0;
  }

  // Two booleans rather than one object of both: asked for every fd before every request.
  private revents(i: number): number {
    return this.buf[8 * i + 6]! | (this.buf[8 * i + 7]! << 8);
  }
}

// The ioctls' arguments, reused: the kernel copies them in before the call returns.
const BACKING_MAP = new Int32Array(4);
const BACKING_ID = new Uint32Array(1);

/** FUSE_DEV_IOC_BACKING_OPEN: register `backingFd` for passthrough; returns the backing id. */
export function backingOpen(devFd: number, backingFd: number): number {
  // struct fuse_backing_map: fd, flags, padding (one per copy-up and open: filled, not allocated).
  BACKING_MAP.fill(0);
  BACKING_MAP[0] = backingFd;
  return check(c.ioctl(devFd, FUSE_DEV_IOC_BACKING_OPEN, BACKING_MAP) as number, 'FUSE_DEV_IOC_BACKING_OPEN');
}

/** FUSE_DEV_IOC_BACKING_CLOSE: drop a backing id (open files keep their backing file). */
export function backingClose(devFd: number, id: number): void {
  BACKING_ID[0] = id;
  check(c.ioctl(devFd, FUSE_DEV_IOC_BACKING_CLOSE, BACKING_ID) as number, 'FUSE_DEV_IOC_BACKING_CLOSE');
}
