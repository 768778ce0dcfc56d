// Decoders for the requests the kernel sends (fuse_*_in structs after the 40-byte fuse_in_header).
// Each takes the receive buffer, the offset of the body (IN_HEADER_SIZE) and the request's end,
// and returns plain values; nothing here does I/O or keeps a reference to the buffer except
// WRITE's and SETXATTR's `data`, which are views valid until the next read.
import {
  FATTR_ATIME,
  FATTR_ATIME_NOW,
  FATTR_CTIME,
  FATTR_FH,
  FATTR_GID,
  FATTR_KILL_SUIDGID,
  FATTR_MODE,
  FATTR_MTIME,
  FATTR_MTIME_NOW,
  FATTR_SIZE,
  FATTR_UID,
  FORGET_ONE_SIZE,
  FUSE_FSYNC_FDATASYNC,
  FUSE_GETATTR_FH,
  FUSE_OPEN_KILL_SUIDGID,
  FUSE_SETXATTR_ACL_KILL_SGID,
  SETXATTR_IN_COMPAT_SIZE,
  SETXATTR_IN_EXT_SIZE,
} from './constants.js';
import type { SetAttr, U64 } from '../session/filesystem.js';
import { readI64, readI64Exact, readName, readU16, readU32, readU64, readU64Big, readU64Exact } from './wire.js';

/** fuse_in_header; decoded into a caller-owned object so the loop allocates none per request. */
export interface InHeader {
  len: number;
  opcode: number;
  unique: number;
  nodeid: number;
  uid: number;
  gid: number;
  pid: number;
  /** Length of extension headers after the arguments, in bytes. */
  extLen: number;
}

export function newInHeader(): InHeader {
  return { len: 0, opcode: 0, unique: 0, nodeid: 0, uid: 0, gid: 0, pid: 0, extLen: 0 };
}

export function decodeInHeader(b: Buffer, h: InHeader): InHeader {
  h.len = readU32(b, 0);
  h.opcode = readU32(b, 4);
  h.unique = readU64(b, 8);
  h.nodeid = readU64(b, 16);
  h.uid = readU32(b, 24);
  h.gid = readU32(b, 28);
  h.pid = readU32(b, 32);
  h.extLen = readU16(b, 36) * 8;
  return h;
}

/** LOOKUP, UNLINK, RMDIR, REMOVEXATTR, GETXATTR's name part: one name. */
export function decodeName(b: Buffer, o: number, end: number): string {
  return readName(b, o, end).name;
}

export function decodeForget(b: Buffer, o: number): number {
  return readU64(b, o);
}

/** BATCH_FORGET: calls `each(nodeid, nlookup)` for every fuse_forget_one. */
export function decodeBatchForget(b: Buffer, o: number, each: (nodeid: number, nlookup: number) => void): void {
  const count = readU32(b, o);
  let p = o + 8;
  for (let i = 0; i < count; i++, p += FORGET_ONE_SIZE) each(readU64(b, p), readU64(b, p + 8));
}

/** GETATTR: the file handle when the kernel sent one (fstat), else null. */
export function decodeGetattr(b: Buffer, o: number): number | null {
  return readU32(b, o) & FUSE_GETATTR_FH ? readU64(b, o + 8) : null;
}

/** STATX (fuse_statx_in, 24 bytes): the fh as GETATTR's, the caller's AT_STATX_* sync flags and STATX_* mask. */
export function decodeStatx(b: Buffer, o: number): { fh: number | null; flags: number; mask: number } {
  return { fh: decodeGetattr(b, o), flags: readU32(b, o + 16), mask: readU32(b, o + 20) };
}

/** SETATTR (fuse_setattr_in, 88 bytes): only the fields whose FATTR_* bit is set. */
export function decodeSetattr(b: Buffer, o: number): SetAttr {
  const valid = readU32(b, o);
  const s: SetAttr = {};
  if (valid & FATTR_FH) s.fh = readU64(b, o + 8);
  if (valid & FATTR_SIZE) s.size = readU64Exact(b, o + 16);
  if (valid & FATTR_ATIME_NOW) s.atime = 'now';
  else if (valid & FATTR_ATIME) s.atime = { sec: readI64(b, o + 32), nsec: readU32(b, o + 56) };
  if (valid & FATTR_MTIME_NOW) s.mtime = 'now';
  else if (valid & FATTR_MTIME) s.mtime = { sec: readI64(b, o + 40), nsec: readU32(b, o + 60) };
  if (valid & FATTR_CTIME) s.ctime = { sec: readI64(b, o + 48), nsec: readU32(b, o + 64) };
  if (valid & FATTR_MODE) s.mode = readU32(b, o + 68);
  if (valid & FATTR_UID) s.uid = readU32(b, o + 76);
  if (valid & FATTR_GID) s.gid = readU32(b, o + 80);
  if (valid & FATTR_KILL_SUIDGID) s.killSuidgid = true;
  return s;
}

/** SYMLINK: the new name, then the target (both NUL-terminated). */
export function decodeSymlink(b: Buffer, o: number, end: number): { name: string; target: Buffer } {
  const { name, next } = readName(b, o, end);
  let z = b.indexOf(0, next);
  if (z < 0 || z > end) z = end;
  return { name, target: Buffer.from(b.subarray(next, z)) };
}

/** MKNOD (fuse_mknod_in, 16 bytes) + name. */
export function decodeMknod(b: Buffer, o: number, end: number): { mode: number; rdev: number; umask: number; name: string } {
  return { mode: readU32(b, o), rdev: readU32(b, o + 4), umask: readU32(b, o + 8), name: readName(b, o + 16, end).name };
}

/** MKDIR (fuse_mkdir_in, 8 bytes) + name. */
export function decodeMkdir(b: Buffer, o: number, end: number): { mode: number; umask: number; name: string } {
  return { mode: readU32(b, o), umask: readU32(b, o + 4), name: readName(b, o + 8, end).name };
}

export interface RenameIn {
  newParent: number;
  flags: number;
  name: string;
  newName: string;
}

/** RENAME (fuse_rename_in, 8 bytes) or RENAME2 (fuse_rename2_in, 16 bytes), then two names. */
export function decodeRename(b: Buffer, o: number, end: number, two: boolean): RenameIn {
  const first = readName(b, o + (two ? 16 : 8), end);
  return {
    newParent: readU64(b, o),
    flags: two ? readU32(b, o + 8) : 0,
    name: first.name,
    newName: readName(b, first.next, end).name,
  };
}

/** LINK (fuse_link_in) + the new name; the header's nodeid is the new parent. */
export function decodeLink(b: Buffer, o: number, end: number): { oldNode: number; newName: string } {
  return { oldNode: readU64(b, o), newName: readName(b, o + 8, end).name };
}

/** OPEN / OPENDIR (fuse_open_in): the open(2) flags. */
export function decodeOpen(b: Buffer, o: number): { flags: number; killSuidgid: boolean } {
  return { flags: readU32(b, o), killSuidgid: (readU32(b, o + 4) & FUSE_OPEN_KILL_SUIDGID) !== 0 };
}

/** CREATE / TMPFILE (fuse_create_in, 16 bytes) + name. */
export function decodeCreate(b: Buffer, o: number, end: number): { flags: number; mode: number; umask: number; name: string } {
  return { flags: readU32(b, o), mode: readU32(b, o + 4), umask: readU32(b, o + 8), name: readName(b, o + 16, end).name };
}

/** READ / READDIR / READDIRPLUS (fuse_read_in, 40 bytes). */
export interface ReadIn {
  fh: number;
  offset: U64;
  size: number;
}
export function decodeRead(b: Buffer, o: number, r: ReadIn): ReadIn {
  r.fh = readU64(b, o);
  r.offset = readU64Exact(b, o + 8);
  r.size = readU32(b, o + 16);
  return r;
}

/** WRITE (fuse_write_in, 40 bytes) + data; `data` is a view of the receive buffer. */
export function decodeWrite(b: Buffer, o: number): { fh: number; offset: U64; writeFlags: number; data: Buffer } {
  const size = readU32(b, o + 16);
  return { fh: readU64(b, o), offset: readU64Exact(b, o + 8), writeFlags: readU32(b, o + 20), data: b.subarray(o + 40, o + 40 + size) };
}

/** RELEASE / RELEASEDIR (fuse_release_in, 24 bytes). */
export function decodeRelease(b: Buffer, o: number): { fh: number; flags: number } {
  return { fh: readU64(b, o), flags: readU32(b, o + 8) };
}

/** FLUSH (fuse_flush_in): the handle. */
export function decodeFh(b: Buffer, o: number): number {
  return readU64(b, o);
}

/** FSYNC / FSYNCDIR (fuse_fsync_in). */
export function decodeFsync(b: Buffer, o: number): { fh: number; datasync: boolean } {
  return { fh: readU64(b, o), datasync: (readU32(b, o + 8) & FUSE_FSYNC_FDATASYNC) !== 0 };
}

/**
 * SETXATTR: fuse_setxattr_in is 8 bytes, or 16 once FUSE_SETXATTR_EXT was granted (it adds
 * setxattr_flags); then the name and the value. `value` is a view of the receive buffer.
 * `killSgid`: FUSE_SETXATTR_ACL_KILL_SGID, an ACL set by a caller neither in the file's group nor
 * privileged, which must clear the file's set-group-ID bit (POSIX_ACL).
 */
export function decodeSetxattr(b: Buffer, o: number, end: number, ext: boolean): { name: string; value: Buffer; flags: number; killSgid: boolean } {
  const size = readU32(b, o);
  const { name, next } = readName(b, o + (ext ? SETXATTR_IN_EXT_SIZE : SETXATTR_IN_COMPAT_SIZE), end);
  const killSgid = ext && (readU32(b, o + 8) & FUSE_SETXATTR_ACL_KILL_SGID) !== 0;
  return { name, value: b.subarray(next, next + size), flags: readU32(b, o + 4), killSgid };
}

/** GETXATTR (fuse_getxattr_in, 8 bytes) + name; LISTXATTR has the struct alone. */
export function decodeGetxattr(b: Buffer, o: number, end: number): { size: number; name: string } {
  return { size: readU32(b, o), name: readName(b, o + 8, end).name };
}

export function decodeXattrSize(b: Buffer, o: number): number {
  return readU32(b, o);
}

/** ACCESS (fuse_access_in): the mask. */
export function decodeAccess(b: Buffer, o: number): number {
  return readU32(b, o);
}

/** INTERRUPT (fuse_interrupt_in): the unique id of the request to interrupt. */
export function decodeInterrupt(b: Buffer, o: number): number {
  return readU64(b, o);
}

export interface InitIn {
  major: number;
  minor: number;
  maxReadahead: number;
  /** flags | flags2 << 32 (flags2 only when the kernel sets FUSE_INIT_EXT). */
  flags: bigint;
}

/** INIT (fuse_init_in: 16 bytes before 7.36, 64 after). */
export function decodeInit(b: Buffer, o: number, end: number): InitIn {
  const major = readU32(b, o);
  const minor = readU32(b, o + 4);
  let flags = BigInt(readU32(b, o + 12));
  if (end - o >= 20 && flags & (1n << 30n)) flags |= BigInt(readU32(b, o + 16)) << 32n;
  return { major, minor, maxReadahead: readU32(b, o + 8), flags };
}

/** FALLOCATE (fuse_fallocate_in, 32 bytes). */
export function decodeFallocate(b: Buffer, o: number): { fh: number; offset: U64; length: U64; mode: number } {
  return { fh: readU64(b, o), offset: readU64Exact(b, o + 8), length: readU64Exact(b, o + 16), mode: readU32(b, o + 24) };
}

/** IOCTL (fuse_ioctl_in, 32 bytes); its input data (in_size bytes) follows. */
export function decodeIoctl(b: Buffer, o: number, end: number): { fh: number; flags: number; cmd: number; data: Buffer; outSize: number } {
  // The ioctl's input (in_size bytes) follows fuse_ioctl_in; never read past the request.
  const data = b.subarray(Math.min(o + 32, end), Math.min(o + 32 + readU32(b, o + 24), end));
  return { fh: readU64(b, o), flags: readU32(b, o + 8), cmd: readU32(b, o + 12), data, outSize: readU32(b, o + 28) };
}

/** LSEEK (fuse_lseek_in, 24 bytes). */
export function decodeLseek(b: Buffer, o: number): { fh: number; offset: U64; whence: number } {
  return { fh: readU64(b, o), offset: readI64Exact(b, o + 8), whence: readU32(b, o + 16) };
}

export interface CopyFileRangeIn {
  fhIn: number;
  offIn: U64;
  nodeOut: number;
  fhOut: number;
  offOut: U64;
  len: U64;
  flags: number;
}

/** COPY_FILE_RANGE and COPY_FILE_RANGE_64 (fuse_copy_file_range_in, 56 bytes). */
export function decodeCopyFileRange(b: Buffer, o: number): CopyFileRangeIn {
  return {
    fhIn: readU64(b, o),
    offIn: readU64Exact(b, o + 8),
    nodeOut: readU64(b, o + 16),
    fhOut: readU64(b, o + 24),
    offOut: readU64Exact(b, o + 32),
    len: readU64Exact(b, o + 40),
    flags: Number(readU64Big(b, o + 48) & 0xffffffffn),
  };
}
