// Directory listing and file copying that leave a layer's atimes alone, as the kernel overlay
// does (it opens layer files and dirs with O_NOATIME): Node's readdirSync and copyFileSync open
// without it, so a plain listing or copy-up through the overlay would stamp the lower's atime.
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import koffi from 'koffi';
import { OvlError, errnoName } from '../errors.js';
import { lastErrno } from './libc.js';

const libc = koffi.load('libc.so.6');
const getdents64 = libc.func('long getdents64(int fd, _Out_ uint8_t *buf, size_t count)');
const copyFileRange = libc.func(
  'long copy_file_range(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)',
);

const { O_RDONLY, O_DIRECTORY, O_NOATIME, O_WRONLY, O_CREAT, O_EXCL } = constants;
const DIRENT_BUF = 64 * 1024;

function fail(op: string, path: string): never {
  const code = errnoName(lastErrno());
  throw new OvlError(code, `${op} failed: ${code}`, { path });
}

/** Names in the directory `path` (without `.` and `..`), read without touching its atime. */
export function readdirNoatime(path: string): string[] {
  const fd = openSync(path, O_RDONLY | O_DIRECTORY | O_NOATIME);
  try {
    const names: string[] = [];
    const buf = Buffer.allocUnsafe(DIRENT_BUF);
    for (;;) {
      const n = getdents64(fd, buf, DIRENT_BUF) as number;
      if (n < 0) fail('getdents64', path);
      if (n === 0) return names;
      // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
      for (let off = 0; off < n; ) {
        const reclen = buf.readUInt16LE(off + 16);
        const end = buf.indexOf(0, off + 19);
        const name = buf.toString('utf8', off + 19, end < 0 || end > off + reclen ? off + reclen : end);
        if (name !== '.' && name !== '..') names.push(name);
        off += reclen;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** Copy the data of file `src` into a new file `dst` (O_EXCL), in the kernel, without touching src's atime. */
export function copyFileNoatime(src: string, dst: string): void {
  const fdIn = openSync(src, O_RDONLY | O_NOATIME);
  try {
    const fdOut = openSync(dst, O_WRONLY | O_CREAT | O_EXCL, 0o600);
    try {
      copyData(fdIn, fdOut, src);
    } finally {
      closeSync(fdOut);
    }
  } finally {
    closeSync(fdIn);
  }
}

function copyData(fdIn: number, fdOut: number, src: string): void {
  for (;;) {
    const n = copyFileRange(fdIn, null, fdOut, null, 1 << 30, 0) as number;
    if (n === 0) return;
    if (n > 0) continue;
    // Layers on different filesystems (EXDEV) or an fs without the call: copy through userspace.
    const code = errnoName(lastErrno());
    if (code !== 'EXDEV' && code !== 'EINVAL' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') fail('copy_file_range', src);
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let r; (r = readSync(fdIn, buf, 0, buf.length, null)) > 0; ) {
      for (let w = 0; w < r; ) w += writeSync(fdOut, buf, w, r - w);
    }
    return;
  }
}
