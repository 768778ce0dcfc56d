// Encoders for replies and notifications, into a caller-provided buffer (the loop reuses one).
// A reply is fuse_out_header (16 bytes) + payload; encoders write the payload at `o` and return
// the offset after it, so the loop writes the header last with the total length.
import type { Attr, AttrReply, DirEntry, Entry, Opened, Statfs, StatxReply, U64 } from '../session/filesystem.js';
import {
  ATTR_OUT_SIZE,
  ATTR_SIZE,
  DIRENT_HEADER_SIZE,
  ENTRY_OUT_SIZE,
  IOCTL_OUT_SIZE,
  NOTIFY_INVAL_ENTRY_SIZE,
  NOTIFY_INVAL_INODE_SIZE,
  Notify,
  OUT_HEADER_SIZE,
  STATX_OUT_SIZE,
} from './constants.js';
import { align8, write16, write32, writeI64, writeU64Exact, writeValid } from './wire.js';
import { hasEscapedBytes, nameByteLength, nameBytes } from '../../format/byte-names.js';

/** fuse_out_header: total length, 0 or a negative errno, the request's unique id. */
export function encodeOutHeader(b: Buffer, len: number, error: number, unique: number): void {
  write32(b, 0, len);
  write32(b, 4, error);
  writeI64(b, 8, unique);
}

/** struct fuse_attr (88 bytes). */
export function encodeAttr(b: Buffer, o: number, a: Attr): number {
  writeI64(b, o, a.ino);
  writeU64Exact(b, o + 8, a.size);
  writeI64(b, o + 16, a.blocks);
  writeI64(b, o + 24, a.atimeSec);
  writeI64(b, o + 32, a.mtimeSec);
  writeI64(b, o + 40, a.ctimeSec);
  write32(b, o + 48, a.atimeNsec);
  write32(b, o + 52, a.mtimeNsec);
  write32(b, o + 56, a.ctimeNsec);
  write32(b, o + 60, a.mode >>> 0);
  write32(b, o + 64, a.nlink >>> 0);
  write32(b, o + 68, a.uid >>> 0);
  write32(b, o + 72, a.gid >>> 0);
  write32(b, o + 76, a.rdev >>> 0);
  write32(b, o + 80, a.blksize >>> 0);
  write32(b, o + 84, 0);
  return o + ATTR_SIZE;
}

const ZERO_ATTR: Attr = {
  ino: 0, size: 0, blocks: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0,
  ctimeSec: 0, ctimeNsec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0,
};

/** fuse_entry_out (128 bytes). */
export function encodeEntry(b: Buffer, o: number, e: Entry): number {
  writeI64(b, o, e.nodeid);
  writeI64(b, o + 8, e.generation);
  writeValid(b, o + 16, o + 32, e.entryValidMs);
  writeValid(b, o + 24, o + 36, e.attrValidMs);
  return encodeAttr(b, o + 40, e.nodeid === 0 ? ZERO_ATTR : e.attr);
}

/** fuse_attr_out (104 bytes). */
export function encodeAttrOut(b: Buffer, o: number, r: AttrReply): number {
  writeValid(b, o, o + 8, r.attrValidMs);
  write32(b, o + 12, 0);
  encodeAttr(b, o + 16, r.attr);
  return o + ATTR_OUT_SIZE;
}

/** struct fuse_sx_time (16 bytes): seconds, nanoseconds, reserved. */
function encodeSxTime(b: Buffer, o: number, sec: number, nsec: number): void {
  writeI64(b, o, sec);
  write32(b, o + 8, nsec);
  write32(b, o + 12, 0);
}

/**
 * fuse_statx_out (288 bytes): validity, flags and spare, then struct fuse_statx. rdev goes as
 * major/minor, split from the dev_t encoding fuse_attr uses; dev is left 0, as the kernel puts
 * its own superblock's there.
 */
export function encodeStatxOut(b: Buffer, o: number, r: StatxReply): number {
  const a = r.attr;
  b.fill(0, o, o + STATX_OUT_SIZE);
  writeValid(b, o, o + 8, r.attrValidMs);
  const s = o + 32;
  write32(b, s, r.mask >>> 0);
  write32(b, s + 4, a.blksize >>> 0);
  writeI64(b, s + 8, r.attributes);
  write32(b, s + 16, a.nlink >>> 0);
  write32(b, s + 20, a.uid >>> 0);
  write32(b, s + 24, a.gid >>> 0);
  write16(b, s + 28, a.mode & 0xffff);
  writeI64(b, s + 32, a.ino);
  writeU64Exact(b, s + 40, a.size);
  writeI64(b, s + 48, a.blocks);
  writeI64(b, s + 56, r.attributesMask);
  encodeSxTime(b, s + 64, a.atimeSec, a.atimeNsec);
  encodeSxTime(b, s + 80, r.btimeSec, r.btimeNsec);
  encodeSxTime(b, s + 96, a.ctimeSec, a.ctimeNsec);
  encodeSxTime(b, s + 112, a.mtimeSec, a.mtimeNsec);
  // new_decode_dev: major in bits 8-19, minor in bits 0-7 and 20-31.
  write32(b, s + 128, (a.rdev >>> 8) & 0xfff);
  write32(b, s + 132, ((a.rdev & 0xff) | ((a.rdev >>> 12) & 0xfff00)) >>> 0);
  return o + STATX_OUT_SIZE;
}

/** fuse_open_out (16 bytes): fh, FOPEN_* flags, backing id for passthrough. */
export function encodeOpenOut(b: Buffer, o: number, r: Opened): number {
  writeI64(b, o, r.fh);
  write32(b, o + 8, r.openFlags >>> 0);
  write32(b, o + 12, r.backingId ?? 0);
  return o + 16;
}

/** fuse_write_out (8 bytes), also COPY_FILE_RANGE's answer. */
export function encodeWriteOut(b: Buffer, o: number, size: number): number {
  write32(b, o, size >>> 0);
  write32(b, o + 4, 0);
  return o + 8;
}

/**
 * fuse_ioctl_out (16 bytes: result 0, no retry, no iovecs) and the ioctl's output value, which
 * the kernel copies back to its caller (up to the out_size it asked for).
 */
export function encodeIoctlOut(b: Buffer, o: number, value: Buffer): number {
  b.fill(0, o, o + IOCTL_OUT_SIZE);
  value.copy(b, o + IOCTL_OUT_SIZE);
  return o + IOCTL_OUT_SIZE + value.length;
}

/** A single u64 (fuse_lseek_out, fuse_copy_file_range_out). */
export function encodeU64Out(b: Buffer, o: number, v: U64): number {
  writeU64Exact(b, o, v);
  return o + 8;
}

/** fuse_getxattr_out (8 bytes): the size a size-0 probe asked for. */
export function encodeXattrSize(b: Buffer, o: number, size: number): number {
  return encodeWriteOut(b, o, size);
}

/** fuse_statfs_out = fuse_kstatfs (80 bytes). */
export function encodeStatfs(b: Buffer, o: number, s: Statfs): number {
  writeI64(b, o, s.blocks);
  writeI64(b, o + 8, s.bfree);
  writeI64(b, o + 16, s.bavail);
  writeI64(b, o + 24, s.files);
  writeI64(b, o + 32, s.ffree);
  write32(b, o + 40, s.bsize >>> 0);
  write32(b, o + 44, s.namelen >>> 0);
  write32(b, o + 48, s.frsize >>> 0);
  b.fill(0, o + 52, o + 80);
  return o + 80;
}

/**
 * One fuse_dirent (24 bytes + name, padded to 8) at `o` if it fits before `limit`; returns the
 * offset after it, or -1 when it does not fit (the kernel gets it on the next READDIR).
 */
export function encodeDirent(b: Buffer, o: number, limit: number, d: DirEntry): number {
  const nameLen = utf8Length(d.name);
  const end = o + align8(DIRENT_HEADER_SIZE + nameLen);
  if (end > limit) return -1;
  writeI64(b, o, d.ino);
  writeI64(b, o + 8, d.off);
  write32(b, o + 16, nameLen);
  write32(b, o + 20, d.type);
  writeName(b, o + DIRENT_HEADER_SIZE, d.name, nameLen);
  for (let i = o + DIRENT_HEADER_SIZE + nameLen; i < end; i++) b[i] = 0;
  return end;
}

/**
 * How many bytes a name holds (../../format/byte-names.ts). Most names are ASCII: counted here,
 * without the call into node that Buffer.byteLength is (a listing sizes and writes every entry's
 * name: four native calls an entry were a visible part of a walk's READDIRPLUS).
 */
function utf8Length(name: string): number {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) >= 0x80) return nameByteLength(name);
  return name.length;
}

/** Write the `len` bytes `name` holds (utf8Length): byte by byte when that is its length (ASCII). */
function writeName(b: Buffer, o: number, name: string, len: number): void {
  if (len !== name.length) {
    if (hasEscapedBytes(name)) nameBytes(name).copy(b, o);
    else b.write(name, o, len, 'utf8');
    return;
  }
  // One byte per character: ASCII, or an escaped byte U+DC00 + byte, whose low 8 bits are the byte.
  for (let i = 0; i < len; i++) b[o + i] = name.charCodeAt(i) & 0xff;
}

/** The size one fuse_direntplus takes (entry_out + dirent + name, padded). */
export function direntPlusSize(name: string): number {
  return ENTRY_OUT_SIZE + align8(DIRENT_HEADER_SIZE + utf8Length(name));
}

/** One fuse_direntplus; the caller checked it fits (direntPlusSize). */
export function encodeDirentPlus(b: Buffer, o: number, e: Entry, d: DirEntry): number {
  encodeEntry(b, o, e);
  return encodeDirent(b, o + ENTRY_OUT_SIZE, Number.MAX_SAFE_INTEGER, d);
}

/** FUSE_NOTIFY_INVAL_INODE, header included (unique 0, the code in the error field); returns its length. */
export function encodeNotifyInvalInode(b: Buffer, nodeid: number, off: number, len: number): number {
  const total = OUT_HEADER_SIZE + NOTIFY_INVAL_INODE_SIZE;
  encodeOutHeader(b, total, Notify.INVAL_INODE, 0);
  writeI64(b, 16, nodeid);
  writeI64(b, 24, off);
  writeI64(b, 32, len);
  return total;
}

/** FUSE_NOTIFY_INVAL_ENTRY, header included: parent, name length, `flags` (FUSE_EXPIRE_ONLY or 0), name + NUL. */
export function encodeNotifyInvalEntry(b: Buffer, parent: number, name: string, flags = 0): number {
  const nameLen = utf8Length(name);
  const total = OUT_HEADER_SIZE + NOTIFY_INVAL_ENTRY_SIZE + nameLen + 1;
  encodeOutHeader(b, total, Notify.INVAL_ENTRY, 0);
  writeI64(b, 16, parent);
  write32(b, 24, nameLen);
  write32(b, 28, flags);
  writeName(b, 32, name, nameLen);
  b[32 + nameLen] = 0;
  return total;
}
