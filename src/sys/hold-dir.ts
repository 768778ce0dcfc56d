// O_PATH fds on dirs about to be covered by a mount. Opened before something is mounted on a
// dir (or above it), `/proc/self/fd/N` still leads to the dir beneath the mount afterwards: the
// walk jumps to the fd's own mount and dentry. node:fs opens them (no libc binding to load: the
// detaching ovl-fuse command opens them before its mount(2), and its start-up time counts).
import { constants } from 'node:fs';
import { openSync } from './fs-bytes.js';

const O_PATH = 0o10000000;

/** An O_PATH fd on each dir in `dirs` (node adds O_CLOEXEC), by dir. */
export function holdDirs(dirs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const dir of dirs) out[dir] ??= openSync(dir, O_PATH | constants.O_DIRECTORY);
  return out;
}
