// The fd limit of a FUSE daemon. The daemon holds an fd for every file its clients hold open (the
// upper or lower file behind each handle), so its RLIMIT_NOFILE caps what all clients together may
// hold open through the mount: past it every client's open fails EMFILE, where the kernel's
// overlay has no such cap (a review, 2026-12-07: two clients of 12,000 opens each met it at the
// 20,000 this machine gives). Node raises the soft limit to the hard one; a daemon allowed to
// (CAP_SYS_RESOURCE) raises both to the system's per-process ceiling, fs.nr_open.
import { readFileSync } from 'node:fs';
import { c } from './libc.js';

const RLIMIT_NOFILE = 7;

/** Raise this process's fd limit as far as it may go; returns the limit now in force (−1: unknown). */
export function raiseFdLimit(): number {
  const now = new BigUint64Array(2);
  if ((c.prlimit(0, RLIMIT_NOFILE, null, now) as number) !== 0) return -1;
  let ceiling = 0n;
  try {
    ceiling = BigInt(readFileSync('/proc/sys/fs/nr_open', 'latin1').trim());
  } catch {
    // no procfs: the hard limit is the ceiling
  }
  if (ceiling > now[1]! && (c.prlimit(0, RLIMIT_NOFILE, BigUint64Array.of(ceiling, ceiling), null) as number) === 0) return Number(ceiling);
  if (now[0]! < now[1]! && (c.prlimit(0, RLIMIT_NOFILE, BigUint64Array.of(now[1]!, now[1]!), null) as number) === 0) return Number(now[1]);
  return Number(now[0]);
}
