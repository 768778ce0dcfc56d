// Re-pointing a standard fd of this process, in place: what a daemon does to let go of the pipe
// its starter reads its error messages from, once it has nothing more to tell it. Closing the fd
// would free its number for the next open (another thread's file would then receive stderr);
// dup2 replaces it atomically.
import { closeSync, openSync } from 'node:fs';
import { check } from './call.js';
import { c } from './libc.js';

/** Make `fd` refer to /dev/null from now on (output written to it is dropped). */
export function pointAtDevNull(fd: number): void {
  const devnull = openSync('/dev/null', 'w');
  try {
    check(c.dup2(devnull, fd) as number, 'dup2', '/dev/null');
  } finally {
    closeSync(devnull);
  }
}

