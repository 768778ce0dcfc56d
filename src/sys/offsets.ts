// Sizes and offsets of any 64-bit value: a number (below 2^53) goes to node:fs as before, a
// bigint (2^53 and more, files up to 2^63 - 1 bytes on tmpfs) to libc. node:fs takes no bigint
// length in ftruncate/truncate and rounds or refuses a number above 2^53, and writeSync drops a
// bigint position (it writes at the fd's own position). readSync takes a bigint position as is.
import { ftruncateSync, writeSync } from 'node:fs';
import { truncateSync } from './fs-bytes.js';
import { check } from './call.js';
import { c } from './libc.js';
import { cPath } from '../format/byte-names.js';

/** ftruncate(2) to `size`. */
export function truncateFd(fd: number, size: number | bigint): void {
  if (typeof size === 'number') ftruncateSync(fd, size);
  else check(c.ftruncate(fd, size) as number, 'ftruncate', `fd ${fd}`);
}

/** truncate(2) of `path` (follows a symlink, as truncate does) to `size`. */
export function truncateAt(path: string, size: number | bigint): void {
  if (typeof size === 'number') truncateSync(path, size);
  else check(c.truncate(cPath(path), size) as number, 'truncate', path);
}

/** pwrite(2) of all of `data` at `offset`; the count written. */
export function writeAt(fd: number, data: Uint8Array, offset: number | bigint): number {
  if (typeof offset === 'number') return writeSync(fd, data, 0, data.length, offset);
  return check(c.pwrite(fd, data, data.length, offset) as number, 'pwrite', `fd ${fd}`);
}
