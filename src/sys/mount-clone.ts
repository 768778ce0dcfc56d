// A private, detached copy of the one mount at a path (open_tree(2) with OPEN_TREE_CLONE and
// without AT_RECURSIVE), as the kernel's overlay takes of each layer (clone_private_mount): the
// same filesystem from the same dir down, but without the mounts on top of dirs inside it, so a
// path walked through the copy reaches the dir beneath a mount point. Attached nowhere and
// visible to no other process; it goes away with its fd and the last file opened through it.
import { check } from './call.js';
import { AT_FDCWD, c } from './libc.js';

const OPEN_TREE_CLONE = 0x1;
const OPEN_TREE_CLOEXEC = 0o2000000;

/** An O_PATH fd on the root of a detached clone of the mount at `path`, submounts left out (needs CAP_SYS_ADMIN). */
export function cloneMount(path: string): number {
  return check(c.open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC) as number, 'open_tree', path);
}
