// Real paths of any length. A syscall takes at most PATH_MAX (4096) bytes, but an overlay's real
// paths are `layer root + merged path` and a merged path may itself be close to PATH_MAX. A path
// this long is handed out as `/proc/self/fd/N/<rest>`, where N is an O_PATH fd on one of its
// ancestors (opened by walking the ancestor in chunks when it is too long itself) and the rest is
// short; node:fs and every wrapper here accept it as they accept the real path. Ordinary paths
// pass through untouched (one length check), so the common case costs nothing.
import { closeSync } from 'node:fs';
import { readlinkSync } from './fs-bytes.js';
import { check } from './call.js';
import { O_CLOEXEC, O_PATH, c } from './libc.js';
import { heldDir, heldRest } from './held-path.js';
import { cPath, decodeName, nameByteLength, nameBytes } from '../format/byte-names.js';

/** Paths of this many bytes or more are shortened (PATH_MAX is 4096 with the NUL). */
const LIMIT = 3800;
/** Ancestors are cut on this byte grid, so paths under one deep dir share one fd. */
const GRID = 1024;
/** The rest after the ancestor is at least this long (leaves room to append names). */
const MIN_REST = 1200;
const PROC = '/proc/self/fd/';
const O_DIRECTORY = 0o200000;
/** Ancestor fds kept open at most (a deep tree has few ancestors on the grid). */
const MAX_FDS = 256;

/** Open O_PATH fds by the real ancestor path they were opened for, and back. */
const fdOf = new Map<string, number>();
const pathOf = new Map<number, string>();

/** The real path behind a path this module handed out (other paths come back unchanged). */
export function longPath(path: string): string {
  if (!path.startsWith(PROC)) return path;
  const slash = path.indexOf('/', PROC.length);
  const fd = Number(path.slice(PROC.length, slash < 0 ? undefined : slash));
  const base = pathOf.get(fd);
  if (base === undefined) return path;
  return slash < 0 ? base : base + path.slice(slash);
}

/** Does `fd` still name the dir at `dir`? (It follows the dir when the dir is renamed or removed.) */
function stillAt(fd: number, dir: string): boolean {
  // readlink of a magic link fails past PATH_MAX: trust such deep ancestors (nothing renames them
  // but the overlay, which looks its paths up afresh after a rename).
  if (nameByteLength(dir) >= 4000) return true;
  try {
    return readlinkSync(PROC + fd) === linkText(dir);
  } catch {
    return false;
  }
}

/**
 * What readlink of an fd opened at `dir` says. A dir reached through another fd's magic link
 * (a layer dir held before the overlay's mount covered it, or a clone of a layer's mount:
 * src/fuse/submounts.ts) reads as that fd's own link text followed by the rest; a detached
 * clone's root reads '/'.
 */
function linkText(dir: string): string {
  if (!dir.startsWith(PROC)) return dir;
  const slash = dir.indexOf('/', PROC.length);
  if (slash < 0) return readlinkSync(dir);
  const base = readlinkSync(dir.slice(0, slash));
  // readlink spells the path plainly: no '/.' (a held dir's own path ends in one) and no '//'.
  const rest = dir.slice(slash).replace(/\/\.(?=\/|$)/g, '').replace(/\/{2,}/g, '/');
  return (base === '/' ? '' : base) + rest;
}

function openDir(dir: string): number {
  const rest = heldRest(shortPath(dir));
  const fd = check(c.openat(heldDir, cPath(rest), O_PATH | O_DIRECTORY | O_CLOEXEC, 0) as number, 'openat', dir);
  const old = fdOf.get(dir);
  if (old !== undefined) forget(dir, old);
  if (fdOf.size >= MAX_FDS) {
    const [oldest, oldFd] = fdOf.entries().next().value as [string, number];
    forget(oldest, oldFd);
  }
  fdOf.set(dir, fd);
  pathOf.set(fd, dir);
  return fd;
}

function forget(dir: string, fd: number): void {
  fdOf.delete(dir);
  pathOf.delete(fd);
  closeSync(fd);
}

/**
 * Close the ancestor fds kept for paths under `prefix` (all when omitted): an O_PATH fd inside a
 * mount keeps it busy, so a process that shortened paths in a mount releases them before umount.
 */
export function releaseLongPaths(prefix = '/'): void {
  for (const [dir, fd] of [...fdOf]) if (dir === prefix || dir.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')) forget(dir, fd);
}

/** An O_PATH fd on the real dir `dir`, kept open for the next path below it. */
function dirFd(dir: string): number {
  const fd = fdOf.get(dir);
  if (fd !== undefined && stillAt(fd, dir)) return fd;
  return openDir(dir);
}

/**
 * A path the kernel accepts for the real path `path`: `path` itself below ~3800 bytes, else
 * `/proc/self/fd/N/<rest>` with N an O_PATH fd on an ancestor. Throws OvlError (ENOENT, ENOTDIR,
 * EACCES…) when that ancestor cannot be opened. Valid until the next call shortens another path
 * past MAX_FDS ancestors, so use it at once.
 */
export function shortPath(path: string): string {
  if (path.length * 3 < LIMIT) return path;
  // Cut by bytes, at a '/': the names' bytes on either side decode as they did whole.
  const bytes = nameBytes(longPath(path));
  if (bytes.length < LIMIT) return decodeName(bytes);
  const cut = bytes.lastIndexOf(0x2f, Math.floor((bytes.length - MIN_REST) / GRID) * GRID);
  if (cut <= 0) return decodeName(bytes);
  const fd = dirFd(decodeName(bytes, 0, cut));
  return PROC + fd + decodeName(bytes, cut);
}
