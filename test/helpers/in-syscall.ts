// Whether a process is inside a given system call now, from /proc/<pid>/task/*/syscall: a test
// waits for a daemon to reach the call it means to catch it in (an fsync or a read held by a slow
// disk).
import { readFileSync, readdirSync } from 'node:fs';

// x86_64's numbers, or arm64's (the generic table).
const arm = process.arch === 'arm64';
const SYS_FSYNC = arm ? 82 : 74;
const SYS_FDATASYNC = arm ? 83 : 75;
const SYS_PREAD64 = arm ? 67 : 17;
const SYS_COPY_FILE_RANGE = arm ? 285 : 326;
const SYS_READ = arm ? 63 : 0;

/** How many threads of process `pid` are in one of the system calls `nrs` now. */
function threadsIn(pid: number, nrs: readonly number[]): number {
  let n = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const nr = Number(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]);
      if (nrs.includes(nr)) n++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}

/** Whether a thread of process `pid` is in fsync(2) or fdatasync(2) now. */
export function inFsync(pid: number): boolean {
  return threadsIn(pid, [SYS_FSYNC, SYS_FDATASYNC]) > 0;
}

/** How many threads of process `pid` are in pread(2) now (node's readSync at a position). */
export function inPread(pid: number): number {
  return threadsIn(pid, [SYS_PREAD64]);
}

/**
 * How many threads of process `pid` wait for a disk to read a file's data now: in pread(2) or
 * copy_file_range(2) (a copy-up's copy made on the loop itself, as before its reads went to read
 * threads), or in read(2) asleep uninterruptibly (a copy between filesystems goes through read and
 * write; a read of /dev/fuse waiting for a request sleeps interruptibly, and is not counted).
 */
export function inDataRead(pid: number): number {
  let n = threadsIn(pid, [SYS_PREAD64, SYS_COPY_FILE_RANGE]);
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const nr = Number(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]);
      const state = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]![0];
      if (nr === SYS_READ && state === 'D') n++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}
