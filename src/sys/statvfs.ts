// statvfs(2) for the fields node:fs.statfsSync leaves out: f_namemax, f_fsid and the mount flags.
import { check } from './call.js';
import { c } from './libc.js';

export interface StatVfs {
  namemax: number;
  fsid: bigint;
  flag: number;
}

/** statvfs of `path` (glibc's 64-bit struct statvfs: namemax at byte 80, fsid at 64, flag at 72). */
export function statVfs(path: string): StatVfs {
  const buf = Buffer.alloc(128);
  check(c.statvfs(path, buf) as number, 'statvfs', path);
  return { fsid: buf.readBigUInt64LE(64), flag: Number(buf.readBigUInt64LE(72)), namemax: Number(buf.readBigUInt64LE(80)) };
}
