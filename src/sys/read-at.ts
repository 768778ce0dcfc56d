// Reading many files whole, by directory and name, through libc: openat(2) relative to a
// directory fd kept open while the names that follow are in the same directory, read(2), close(2).
// For the dedup hash threads, which read every size-colliding file of a data root (118 800 on the
// bench root): node's openSync/readSync/closeSync validate their arguments in JS per call, and an
// absolute path makes the kernel walk every component again. Measured on the bench root's files
// (tmpfs, one thread, 3 runs each): node:fs 220–240 ms user + 360–430 ms sys, koffi by absolute
// path 100–140 + 380–450, koffi relative to the directory 115–200 + 280–330.
import { constants } from 'node:fs';
import { errnoNumber } from '../errors.js';
import { check, checkUnless, throwErrno } from './call.js';
import { AT_FDCWD, O_CLOEXEC, O_PATH, c } from './libc.js';
import { cPath } from '../format/byte-names.js';

const READ = constants.O_RDONLY | O_CLOEXEC;
// O_NOATIME keeps reading from touching atimes (allowed for the owner or root; EPERM otherwise).
const READ_NOATIME = READ | constants.O_NOATIME;
const DIR = O_PATH | constants.O_DIRECTORY | O_CLOEXEC;
const EPERM = [errnoNumber('EPERM')];

/** Opens, reads and closes files; one per thread (it keeps one directory fd). */
export class ReadAt {
  private dir = '';
  private dirFd = AT_FDCWD;

  /**
   * An fd for reading `name` in directory `dir` (O_NOATIME when allowed). Throws an OvlError
   * with the errno's code, naming `dir/name`, as an open of the whole path would.
   */
  open(dir: string, name: string): number {
    if (dir !== this.dir) this.enter(dir);
    // Without the directory's fd (it could not be opened), the whole path: its error is the file's.
    const rel = this.dirFd === AT_FDCWD ? `${dir}/${name}` : name;
    let fd = checkUnless(c.openat(this.dirFd, cPath(rel), READ_NOATIME, 0) as number, EPERM, 'open', `${dir}/${name}`);
    if (fd < 0) fd = c.openat(this.dirFd, cPath(rel), READ, 0) as number;
    return fd >= 0 ? fd : throwErrno('open', `${dir}/${name}`);
  }

  /** read(2) of up to `buf.length` bytes into `buf`: the count read, 0 at the end. */
  read(fd: number, buf: Buffer): number {
    const n = c.read(fd, buf, buf.length) as number;
    return n >= 0 ? n : throwErrno('read');
  }

  close(fd: number): void {
    check(c.close(fd) as number, 'close');
  }

  /** Close the directory fd kept. */
  release(): void {
    if (this.dirFd !== AT_FDCWD) c.close(this.dirFd);
    this.dirFd = AT_FDCWD;
    this.dir = '';
  }

  private enter(dir: string): void {
    this.release();
    const fd = c.openat(AT_FDCWD, cPath(dir), DIR, 0) as number;
    this.dirFd = fd >= 0 ? fd : AT_FDCWD;
    this.dir = dir;
  }
}
