// node:fs's path calls for a path below a held dir fd (`/proc/self/fd/N/<rest>`, ./held-path.ts),
// made as the *at syscall on fd N with <rest>: node takes no dirfd, and the whole path would make
// the kernel walk procfs first on every call (~2.5 µs; each create or copy-up of the overlay makes
// several). Same arguments and results as node's; a failure is an OvlError carrying the errno
// (its `code` is node's), op and path, as every src/sys call reports one. ./fs-bytes.ts sends
// only such paths here.
import { check } from './call.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, c } from './libc.js';
import { heldAt, heldDir, heldRest } from './held-path.js';
import { cPath } from '../format/byte-names.js';

const AT_REMOVEDIR = 0x200;
/** A link's text is at most PATH_MAX - 1 bytes. */
const LINK_BUF = Buffer.allocUnsafe(4096);

export function openAt(dir: number, rest: string, path: string, flags: number, mode: number): number {
  // node's openSync adds O_CLOEXEC too.
  return check(c.openat(dir, cPath(rest), flags | O_CLOEXEC, mode) as number, 'open', path);
}

export function mkdirAt(dir: number, rest: string, path: string, mode: number): void {
  check(c.mkdirat(dir, cPath(rest), mode) as number, 'mkdir', path);
}

export function symlinkAt(target: string | Buffer, dir: number, rest: string, path: string): void {
  const text = typeof target === 'string' ? cPath(target) : Buffer.concat([target, Buffer.of(0)]);
  check(c.symlinkat(text, dir, cPath(rest)) as number, 'symlink', path);
}

export function chownAt(dir: number, rest: string, path: string, uid: number, gid: number, follow: boolean): void {
  check(c.fchownat(dir, cPath(rest), uid, gid, follow ? 0 : AT_SYMLINK_NOFOLLOW) as number, follow ? 'chown' : 'lchown', path);
}

/** chmod(2), which follows a last symlink (fchmodat has no working no-follow form on Linux). */
export function chmodAt(dir: number, rest: string, path: string, mode: number): void {
  check(c.fchmodat(dir, cPath(rest), mode, 0) as number, 'chmod', path);
}

export function unlinkAt(dir: number, rest: string, path: string, isDir: boolean): void {
  check(c.unlinkat(dir, cPath(rest), isDir ? AT_REMOVEDIR : 0) as number, isDir ? 'rmdir' : 'unlink', path);
}

/** readlink(2): the link's bytes, copied out of one reused buffer. */
export function readlinkAt(dir: number, rest: string, path: string): Buffer {
  const n = check(c.readlinkat(dir, cPath(rest), LINK_BUF, LINK_BUF.length) as number, 'readlink', path);
  return Buffer.from(LINK_BUF.subarray(0, n));
}

/** link(2) or rename(2) of two paths, either of which may be below a held dir fd. */
export function linkOrRename(from: string, to: string, op: 'link' | 'rename'): void {
  const [fromDir, fromRest] = heldAt(from);
  const [toDir, toRest] = heldAt(to);
  const ret = op === 'link' ? c.linkat(fromDir, cPath(fromRest), toDir, cPath(toRest), 0) : c.renameat2(fromDir, cPath(fromRest), toDir, cPath(toRest), 0);
  check(ret as number, op, from);
}

/** Whether `path` is below a held dir fd; `heldDir` and the returned rest then split it. */
export function heldSplit(path: string): string | null {
  const rest = heldRest(path);
  return heldDir === AT_FDCWD ? null : rest;
}

