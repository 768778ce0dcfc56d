// File handles (name_to_handle_at / open_by_handle_at), the raw material of the overlay's
// `origin` xattr: the kernel stores the lower object's handle at copy-up and decodes it later to
// report the lower inode number. The fid layout is the filesystem's own (ext4 puts the inode
// first, tmpfs the generation), so the only portable decoder is the kernel itself.
import { closeSync, constants, fstatSync } from 'node:fs';
import { openSync } from './fs-bytes.js';
import { errnoNumber } from '../errors.js';
import { check, checkUnless } from './call.js';
import { AT_EMPTY_PATH, O_PATH, c } from './libc.js';
import { heldDir, heldRest } from './held-path.js';
import { cPath } from '../format/byte-names.js';

/** MAX_HANDLE_SZ of the kernel. */
const MAX_HANDLE_SZ = 128;

export interface FileHandle {
  /** The filesystem's handle type (ext4: 1 = FILEID_INO32_GEN). */
  type: number;
  /** The opaque fid bytes. */
  bytes: Buffer;
}

/** Scratch space for name_to_handle_at: every copy-up asks for one handle (the bytes are copied out). */
const HANDLE_BUF = Buffer.alloc(8 + MAX_HANDLE_SZ);
/** A typed array, which koffi passes as is; a JS array for an out-parameter is converted both ways. */
const MOUNT_ID = new Int32Array(1);

/** The file handle of `path` itself (a symlink is not followed), or of the file open as fd `path`. */
export function fileHandle(path: string | number): FileHandle {
  // struct file_handle { unsigned int handle_bytes; int handle_type; unsigned char f_handle[]; }
  const buf = HANDLE_BUF;
  buf.writeUInt32LE(MAX_HANDLE_SZ, 0);
  const mountId = MOUNT_ID;
  const rest = typeof path === 'number' ? '' : heldRest(path);
  const ret = typeof path === 'number' ? c.name_to_handle_at(path, '', buf, mountId, AT_EMPTY_PATH) : c.name_to_handle_at(heldDir, cPath(rest), buf, mountId, 0);
  check(ret as number, 'name_to_handle_at', typeof path === 'number' ? `fd ${path}` : path);
  const len = buf.readUInt32LE(0);
  return { type: buf.readInt32LE(4), bytes: Buffer.from(buf.subarray(8, 8 + len)) };
}

/** An fd on a filesystem, to decode handles of objects on it; close it with closeSync. */
export function openMountRef(dir: string): number {
  // Not O_PATH: open_by_handle_at refuses those (EBADF). Opening a dir does not touch its atime.
  return openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
}

/**
 * What open_by_handle_at answers when there is no object to report rather than a failure: ESTALE
 * (deleted, or a handle this filesystem does not know: the caller tries each lower filesystem)
 * and EPERM (a daemon without CAP_DAC_READ_SEARCH may not decode; the kernel decodes origins
 * without that check, so the closest we can do is the fallback for an unknown origin, not an
 * error on every lookup of a copied-up file). Anything else (EIO, ENOMEM…) fails the lookup, as
 * ovl_check_origin passes on every error but ESTALE.
 */
const NO_OBJECT = [errnoNumber('ESTALE'), errnoNumber('EPERM')];

/**
 * The inode number of the object `fh` names on the filesystem of `mountFd`, or null when it is
 * gone or not decodable here (see NO_OBJECT): the caller falls back as the kernel does.
 */
export function inodeOfHandle(mountFd: number, fh: FileHandle): bigint | null {
  const buf = Buffer.alloc(8 + fh.bytes.length);
  buf.writeUInt32LE(fh.bytes.length, 0);
  buf.writeInt32LE(fh.type, 4);
  fh.bytes.copy(buf, 8);
  const fd = checkUnless(c.open_by_handle_at(mountFd, buf, O_PATH) as number, NO_OBJECT, 'open_by_handle_at');
  if (fd < 0) return null;
  try {
    return fstatSync(fd, { bigint: true }).ino;
  } finally {
    closeSync(fd);
  }
}

/** FS_IOC_GETFSUUID: _IOR(0x15, 0, struct fsuuid2 { __u8 len; __u8 uuid[16]; }), Linux 6.8+. */
const FS_IOC_GETFSUUID = 0x80111500;
const FSUUID2 = Buffer.alloc(17);

/**
 * The uuid of the filesystem dir `dir` (or open fd `dir`, not O_PATH) is on: its super block's
 * s_uuid, what the kernel's overlay stores in an `origin` handle; 16 bytes, all zero where the
 * filesystem has none or the kernel cannot say (before 6.8 the ioctl is ENOTTY).
 */
export function fsUuid(dir: string | number): Buffer {
  const out = Buffer.alloc(16);
  let fd: number;
  try {
    fd = typeof dir === 'number' ? dir : openMountRef(dir);
  } catch {
    return out;
  }
  try {
    FSUUID2.fill(0);
    if ((c.ioctl(fd, FS_IOC_GETFSUUID, FSUUID2) as number) === 0) FSUUID2.copy(out, 0, 1, 1 + Math.min(16, FSUUID2[0]!));
  } finally {
    if (typeof dir !== 'number') closeSync(fd);
  }
  return out;
}
