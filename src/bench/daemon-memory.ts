// What a FUSE overlay's daemon keeps in memory of its own: RssAnon (heap, stacks, buffers) of
// every process serving the mount, read from /proc. File-backed pages (the node or fuse-overlayfs
// binary, shared by every daemon of a host) and the page cache all overlays share are not counted,
// so the figure is what each further mount costs a host that runs many, as containers do.
import { readFileSync, statSync, statfsSync } from 'node:fs';
import { servingPids } from '../fuse/daemons.js';

const FUSE_SUPER_MAGIC = 0x65735546;

/** The FUSE connection of a mount: the minor of its st_dev (`new_encode_dev`). */
function connectionOf(merged: string): number {
  if (statfsSync(merged).type !== FUSE_SUPER_MAGIC) throw new Error(`${merged} is not a FUSE mount`);
  const dev = statSync(merged).dev;
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}

function anonKiB(pid: number): number {
  const m = /^RssAnon:\s*(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no RssAnon line`);
  return Number(m[1]);
}

/** MiB of anonymous memory held by the daemon(s) serving the FUSE mount at `merged`. */
export function daemonAnonMiB(merged: string): number {
  const pids = servingPids(connectionOf(merged));
  if (pids.length === 0) throw new Error(`no process holds the /dev/fuse connection of ${merged}`);
  return pids.reduce((kib, pid) => kib + anonKiB(pid), 0) / 1024;
}
