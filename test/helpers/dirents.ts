// Every entry getdents64 gives for a dir, `.` and `..` included, with its d_ino (src/sys/dirents.ts
// leaves the dots out): what a test compares with lstat's st_ino.
import { closeSync, constants, openSync } from 'node:fs';
import { c } from '../../src/sys/libc.js';

export function listDirentsOf(path: string): Array<{ name: string; ino: bigint }> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  const buf = Buffer.alloc(64 * 1024);
  const out: Array<{ name: string; ino: bigint }> = [];
  try {
    for (;;) {
      const n = c.getdents64(fd, buf, buf.length) as number;
      if (n < 0) throw new Error(`getdents64 ${path}: ${n}`);
      if (n === 0) return out;
      for (let off = 0; off < n; ) {
        const reclen = buf.readUInt16LE(off + 16);
        const end = buf.indexOf(0, off + 19);
        out.push({ name: buf.toString('utf8', off + 19, end), ino: buf.readBigUInt64LE(off) });
        off += reclen;
      }
    }
  } finally {
    closeSync(fd);
  }
}
