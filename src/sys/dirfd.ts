// Reading a directory through a held file descriptor with rewind, which node:fs cannot do (its Dir
// buffers and never seeks). Overlayfs caches a merged dir's entries per open file, so the
// conformance suite needs "rewind + readdir on the same fd" to observe that cache (spec S39).
import koffi from 'koffi';
import { check } from './call.js';

const libc = koffi.load('libc.so.6');
const getdents64 = libc.func('long getdents64(int fd, _Out_ void *buf, size_t nbytes)');
const lseek = libc.func('long lseek(int fd, long offset, int whence)');
const SEEK_SET = 0;

export interface DirentRaw {
  name: string;
  ino: bigint;
  type: number;
}

/** Seek `fd` (a directory opened O_RDONLY) to the start and read all its entries, '.' and '..' excluded. */
export function readDirFd(fd: number, path = `fd ${fd}`): DirentRaw[] {
  check(lseek(fd, 0, SEEK_SET) as number, 'lseek', path);
  const out: DirentRaw[] = [];
  const buf = Buffer.alloc(32768);
  for (;;) {
    const n = check(getdents64(fd, buf, buf.length) as number, 'getdents64', path);
    if (n === 0) return out;
    for (let off = 0; off < n; ) {
      const ino = buf.readBigUInt64LE(off);
      const reclen = buf.readUInt16LE(off + 16);
      const type = buf.readUInt8(off + 18);
      const end = buf.indexOf(0, off + 19);
      const name = buf.toString('utf8', off + 19, end);
      if (name !== '.' && name !== '..') out.push({ name, ino, type });
      off += reclen;
    }
  }
}
