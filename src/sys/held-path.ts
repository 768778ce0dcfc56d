// Paths below a dir fd the process holds, `/proc/self/fd/N/<rest>`: a layer reached through a
// guarded clone of its mount or through a dir the overlay's mount covers (src/fuse/submounts.ts),
// and the ancestors of paths past PATH_MAX (./long-path.ts). Handed to a path syscall as they are,
// they make the kernel walk procfs before <rest>: /proc/self, the pid, the fd table and the magic
// link, ~2.5 µs a call on the test VMs against ~1 µs for the lstat itself (a lookup across 500
// lowers makes thousands). The *at form of the call, dirfd N and path <rest>, walks <rest> alone
// from the same mount and dentry (the magic link leads exactly where the fd is), so each wrapper
// in src/sys that has an *at form splits such a path first; the result is the same object, the
// same errors and the same refusals (the clone's nosymfollow applies to <rest> either way).
import { AT_FDCWD } from './libc.js';

const PROC = '/proc/self/fd/';
const SLASH = 0x2f;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * The dirfd for the path the last `heldRest` call split: N, or AT_FDCWD for any other path. A
 * module variable rather than a pair in an array: the split runs on every path syscall of the
 * FUSE hot path, and callers read it at once, synchronously, as they read `lastErrno`.
 */
export let heldDir = AT_FDCWD;

/** heldRest's split as a pair, for calls that take two paths (the second split overwrites `heldDir`). */
export function heldAt(path: string): [dir: number, rest: string] {
  const rest = heldRest(path);
  return [heldDir, rest];
}

/**
 * The path to hand the *at call with dirfd `heldDir`: `<rest>` of `/proc/self/fd/N/<rest>` ('.'
 * for the dir itself), else `path` unchanged with AT_FDCWD. A bare `/proc/self/fd/N` is not
 * split: it names the magic link (or, followed, a file's fd reopened), not a walk below a dir.
 */
export function heldRest(path: string): string {
  heldDir = AT_FDCWD;
  if (path.charCodeAt(0) !== SLASH || !path.startsWith(PROC)) return path;
  let fd = 0;
  let i = PROC.length;
  for (; i < path.length; i++) {
    const ch = path.charCodeAt(i);
    if (ch < ZERO || ch > NINE) break;
    fd = fd * 10 + ch - ZERO;
  }
  if (i === PROC.length || i === path.length || path.charCodeAt(i) !== SLASH) return path;
  heldDir = fd;
  // Every slash after N: a rest that began with one would be absolute and leave the dirfd behind.
  while (i < path.length && path.charCodeAt(i) === SLASH) i++;
  // A trailing slash asks for a dir, as '.' does of the dirfd.
  return i === path.length ? '.' : path.slice(i);
}
