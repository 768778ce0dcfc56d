// File handles (name_to_handle_at), the raw material of the overlay's `origin` xattr.
import koffi from 'koffi';
import { check } from './call.js';
import { AT_FDCWD } from './libc.js';

const libc = koffi.load('libc.so.6');
const nameToHandleAt = libc.func(
  'int name_to_handle_at(int dirfd, const char *path, _Inout_ uint8_t *handle, _Out_ int *mount_id, int flags)',
);

/** MAX_HANDLE_SZ of the kernel. */
const MAX_HANDLE_SZ = 128;

export interface FileHandle {
  /** The filesystem's handle type (ext4: 1 = FILEID_INO32_GEN). */
  type: number;
  /** The opaque fid bytes. */
  bytes: Buffer;
}

/** The file handle of `path` itself (a symlink is not followed). */
export function fileHandle(path: string): FileHandle {
  // struct file_handle { unsigned int handle_bytes; int handle_type; unsigned char f_handle[]; }
  const buf = Buffer.alloc(8 + MAX_HANDLE_SZ);
  buf.writeUInt32LE(MAX_HANDLE_SZ, 0);
  const mountId = [0];
  check(nameToHandleAt(AT_FDCWD, path, buf, mountId, 0) as number, 'name_to_handle_at', path);
  const len = buf.readUInt32LE(0);
  return { type: buf.readInt32LE(4), bytes: Buffer.from(buf.subarray(8, 8 + len)) };
}
