// Private tmpfs mounts and a global sync. The conformance suite builds each run's layers on a
// fresh tmpfs: tmpfs hands out inode numbers from a per-mount counter and never reuses them, so
// inode observations do not depend on what else the machine is doing, and teardown is one umount.
import { check } from './call.js';
import { c } from './libc.js';

const MS_NOSUID = 2;

/** Mount a new tmpfs at `target` (an existing dir); `size` as tmpfs takes it ('64m'). */
export function mountTmpfs(target: string, size = '256m'): void {
  check(c.mount('tmpfs', target, 'tmpfs', MS_NOSUID, `size=${size},mode=0755`) as number, 'mount tmpfs', target);
}

/** sync(2): flush every filesystem, as `sync` before drop_caches. */
export function syncAll(): void {
  c.sync();
}
