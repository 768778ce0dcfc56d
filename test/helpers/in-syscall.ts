// Whether a process is inside a given system call now, from /proc/<pid>/task/*/syscall: a test
// waits for a daemon to reach the call it means to catch it in (an fsync held by a slow disk).
import { readFileSync, readdirSync } from 'node:fs';

// fsync and fdatasync: x86_64's numbers, or arm64's (the generic table).
const [SYS_FSYNC, SYS_FDATASYNC] = process.arch === 'arm64' ? [82, 83] : [74, 75];

/** Whether a thread of process `pid` is in fsync(2) or fdatasync(2) now. */
export function inFsync(pid: number): boolean {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const nr = Number(readFileSync(`/proc/${pid}/task/${tid}/syscall`, 'utf8').split(' ')[0]);
      if (nr === SYS_FSYNC || nr === SYS_FDATASYNC) return true;
    } catch {
      // the thread ended meanwhile
    }
  }
  return false;
}
