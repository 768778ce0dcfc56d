// Which processes serve a FUSE mount, and waiting for them to end. umount(2) of a FUSE mount
// returns before its daemon has seen the end (its read of /dev/fuse then fails ENODEV) and exited,
// and until it exits it holds its fds on the layers: a script's next `umount` of a layer's
// filesystem fails EBUSY, where the kernel's overlay has let go of its layers when umount returns.
// `ovl-fuse umount` waits for the daemon therefore. Plain /proc reads: no native code.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * The pids holding a /dev/fuse fd of connection `conn`: the minor of the FUSE mount's st_dev,
 * which /proc/PID/fdinfo shows as `fuse_connection` (kernel >= 6.x; older ones show none, and
 * nobody is found).
 */
export function servingPids(conn: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (holdsConnection(pid, conn)) pids.push(pid);
  }
  return pids;
}

function holdsConnection(pid: number, conn: number): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone, or not ours to read
  }
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== '/dev/fuse') continue;
      const m = /^fuse_connection:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m && Number(m[1]) === conn) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

/** Whether `pid` has exited: gone, or a zombie (its fds are closed by then). */
export function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** Resolves with the pids of `pids` still running after `ms` (none: all exited), polling every 2 ms. */
export async function waitExited(pids: readonly number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  let left = pids.filter((p) => !exited(p));
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 2));
    left = left.filter((p) => !exited(p));
  }
  return left;
}
