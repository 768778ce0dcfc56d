// Extended attributes on a path without following symlinks (l*xattr), or on an open fd (f*xattr:
// copy-up works on the fds it has open, sparing a path walk per call), as Buffers.
// Overlay xattrs are binary (origin) or text (opaque, redirect); callers decode.
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, XATTR_CREATE, XATTR_REPLACE, addressOf, c, lastErrno } from './libc.js';
import { cPath, decodeName, nameBytes } from '../format/byte-names.js';
import { heldDir, heldRest } from './held-path.js';

const ENODATA = errnoNumber('ENODATA');
const ERANGE = errnoNumber('ERANGE');
/** Not set, or the filesystem has no xattrs at all: both mean "absent" to a presence test. */
const ABSENT = [ENODATA, errnoNumber('EOPNOTSUPP')];
const UNSET_OR_LONGER = [ENODATA, ERANGE];
const UNSET = [ENODATA];
const LONGER = [ERANGE];
const REFUSED_CALL = [errnoNumber('ENOSYS'), errnoNumber('EPERM')];

/** A path (symlinks not followed) or an open fd. */
export type XattrTarget = string | number;

function named(t: XattrTarget): string {
  return typeof t === 'number' ? `fd ${t}` : t;
}

// A path below a held dir fd goes to the *xattrat call on that fd (./held-path.ts says why).
const SYS_SETXATTRAT = 463;
const SYS_GETXATTRAT = 464;
const SYS_LISTXATTRAT = 465;
const SYS_REMOVEXATTRAT = 466;
/** struct xattr_args, reused: the calls are synchronous. */
const ARGS = Buffer.alloc(16);
/** Whether the *xattrat calls get through (Linux 6.13 on, and no seccomp filter refusing them); null until asked. */
let xattrAt: boolean | null = null;

/**
 * Does `heldDir`, as the last heldRest left it, name a held dir the *xattrat calls can start
 * from? Asked once per process with a call that cannot fail otherwise (the list of '/'); an older
 * kernel says ENOSYS, a seccomp filter that predates them (Docker's before 2025) EPERM or ENOSYS,
 * and then every path goes whole to the l*xattr calls, procfs walk and all.
 */
function atHeld(): boolean {
  if (heldDir === AT_FDCWD) return false;
  if (xattrAt === null) {
    const ok = (c.syscall_listxattrat(SYS_LISTXATTRAT, AT_FDCWD, '/', AT_SYMLINK_NOFOLLOW, null, 0) as number) >= 0;
    xattrAt = ok || !REFUSED_CALL.includes(lastErrno());
  }
  return xattrAt;
}

/** The value pointer, size and flags of struct xattr_args. */
function xattrArgs(buf: Buffer | null, size: number, flags: number): Buffer {
  ARGS.writeBigUInt64LE(buf === null ? 0n : addressOf(buf), 0);
  ARGS.writeUInt32LE(size, 8);
  ARGS.writeUInt32LE(flags, 12);
  return ARGS;
}

function get(t: XattrTarget, name: string, buf: Buffer | null, size: number): number {
  if (typeof t === 'number') return c.fgetxattr(t, cPath(name), buf, size) as number;
  const rest = heldRest(t);
  if (atHeld()) return c.syscall_getxattrat(SYS_GETXATTRAT, heldDir, cPath(rest), AT_SYMLINK_NOFOLLOW, cPath(name), xattrArgs(buf, size, 0), 16) as number;
  return c.lgetxattr(cPath(t), cPath(name), buf, size) as number;
}

function list(t: XattrTarget, buf: Buffer | null, size: number): number {
  if (typeof t === 'number') return c.flistxattr(t, buf, size) as number;
  const rest = heldRest(t);
  if (atHeld()) return c.syscall_listxattrat(SYS_LISTXATTRAT, heldDir, cPath(rest), AT_SYMLINK_NOFOLLOW, buf, size) as number;
  return c.llistxattr(cPath(t), buf, size) as number;
}

function set(t: XattrTarget, name: string, buf: Buffer, flags: number): number {
  if (typeof t === 'number') return c.fsetxattr(t, cPath(name), buf, buf.length, flags) as number;
  const rest = heldRest(t);
  if (atHeld()) return c.syscall_setxattrat(SYS_SETXATTRAT, heldDir, cPath(rest), AT_SYMLINK_NOFOLLOW, cPath(name), xattrArgs(buf, buf.length, flags), 16) as number;
  return c.lsetxattr(cPath(t), cPath(name), buf, buf.length, flags) as number;
}

function remove(path: string, name: string): number {
  const rest = heldRest(path);
  if (atHeld()) return c.syscall_removexattrat(SYS_REMOVEXATTRAT, heldDir, cPath(rest), AT_SYMLINK_NOFOLLOW, cPath(name)) as number;
  return c.lremovexattr(cPath(path), cPath(name)) as number;
}
/** XATTR_SIZE_MAX: the largest value the kernel stores. */
const MAX_VALUE = 65536;

/** The value of `name` on `path`, or null when it is not set (ENODATA). Other errors throw. */
export function getXattr(path: XattrTarget, name: string): Buffer | null {
  let size = 256;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    const n = checkUnless(get(path, name, buf, size), size < MAX_VALUE ? UNSET_OR_LONGER : UNSET, `getxattr ${name}`, named(path));
    if (n >= 0) return buf.subarray(0, n);
    if (n === -ENODATA) return null;
    // ERANGE: the value grew or is larger than our first guess; ask for the exact size.
    size = Math.max(check(get(path, name, null, 0), `getxattr ${name}`, named(path)), size * 2);
  }
}

/** True when `name` is set on `path` (cheaper than reading a value we only test for presence). */
export function hasXattr(path: string, name: string): boolean {
  return checkUnless(get(path, name, null, 0), ABSENT, `getxattr ${name}`, path) >= 0;
}

export type SetMode = 'any' | 'create' | 'replace';

/** Set `name` to `value` on `path` (XATTR_CREATE/REPLACE via `mode`, as setxattr(2)). */
export function setXattr(path: XattrTarget, name: string, value: Buffer | string, mode: SetMode = 'any'): void {
  // A string value (a redirect) holds a path: its bytes as the names' (../format/byte-names.ts).
  const buf = typeof value === 'string' ? nameBytes(value) : value;
  const flags = mode === 'create' ? XATTR_CREATE : mode === 'replace' ? XATTR_REPLACE : 0;
  check(set(path, name, buf, flags), `setxattr ${name}`, named(path));
}

/** One buffer for the usual short list: a single llistxattr call instead of a size probe first. */
const LIST_BUF = Buffer.allocUnsafe(4096);

/** Names of all xattrs on `path` that this process may see. */
export function listXattrs(path: XattrTarget): string[] {
  return listXattrsSized(path).names;
}

/** listXattrs, and the bytes the list took as the syscall returned it (names that are not UTF-8 included). */
export function listXattrsSized(path: XattrTarget): { names: string[]; bytes: number } {
  const first = checkUnless(list(path, LIST_BUF, LIST_BUF.length), LONGER, 'listxattr', named(path));
  if (first === 0) return { names: [], bytes: 0 };
  if (first > 0) return { names: namesIn(LIST_BUF, first), bytes: first };
  // ERANGE: longer than the buffer; ask for the size.
  for (;;) {
    const size = check(list(path, null, 0), 'listxattr', named(path));
    if (size === 0) return { names: [], bytes: 0 };
    const buf = Buffer.allocUnsafe(size);
    const n = checkUnless(list(path, buf, size), LONGER, 'listxattr', named(path));
    if (n < 0) continue; // ERANGE: the list grew between the two calls
    return { names: namesIn(buf, n), bytes: n };
  }
}

/** The NUL-separated names of a listxattr result, each holding its bytes (../format/byte-names.ts). */
function namesIn(buf: Buffer, len: number): string[] {
  const names: string[] = [];
  for (let at = 0; at < len; ) {
    let z = buf.indexOf(0, at);
    if (z < 0 || z > len) z = len;
    if (z > at) names.push(decodeName(buf, at, z));
    at = z + 1;
  }
  return names;
}

/**
 * Names of the xattrs on a layer object, none when its filesystem keeps no xattrs at all
 * (EOPNOTSUPP: a squashfs image made without them, for one), as the kernel's overlay reads its
 * layers (ovl_copy_xattr, the opaque and redirect checks).
 */
export function listLayerXattrs(path: XattrTarget): string[] {
  try {
    return listXattrs(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'EOPNOTSUPP') return [];
    throw err;
  }
}

/**
 * The value of `name` on a layer object, null when it is not set or its filesystem keeps no such
 * attributes at all (EOPNOTSUPP: a POSIX ACL on a filesystem without ACLs, whose inode the kernel
 * reads as having none: get_inode_acl).
 */
export function getLayerXattr(path: XattrTarget, name: string): Buffer | null {
  try {
    return getXattr(path, name);
  } catch (err) {
    if ((err as { code?: string }).code === 'EOPNOTSUPP') return null;
    throw err;
  }
}

/** Remove `name` from `path`; ENODATA when it is not set. */
export function removeXattr(path: string, name: string): void {
  check(remove(path, name), `removexattr ${name}`, path);
}

/** removexattr of `name` from the object open on `fd`; `absentOk`: ENODATA is no error. */
export function removeXattrOf(fd: number, name: string, absentOk = false): void {
  checkUnless(c.fremovexattr(fd, cPath(name)) as number, absentOk ? [ENODATA] : [], `removexattr ${name}`, `fd ${fd}`);
}

/** All xattrs of `path` with their values (for copy-up and tree comparison). */
export function readXattrs(path: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of listXattrs(path)) {
    const v = getXattr(path, name);
    if (v !== null) out.set(name, v);
  }
  return out;
}
