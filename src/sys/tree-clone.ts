// A private, detached copy of the mount tree at a path (open_tree(2) with OPEN_TREE_CLONE): the same
// files, reached through mounts no other process has. Files opened through it carry those mounts in
// their path, which is what fanotify's mount marks tell apart (./fanotify.ts ignoreMountWrites).
// Nothing is attached anywhere: the copy goes away with its fd and the last file opened through it.
import { check } from './call.js';
import { AT_FDCWD, c } from './libc.js';

const OPEN_TREE_CLONE = 0x1;
const OPEN_TREE_CLOEXEC = 0o2000000;
// Submounts below `path` come along, so a path walked through the copy reaches the same files.
const AT_RECURSIVE = 0x8000;

/** An O_PATH fd on the root of a detached clone of the mounts at and below `path` (needs CAP_SYS_ADMIN). */
export function cloneTree(path: string): number {
  return check(c.open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE) as number, 'open_tree', path);
}

/** Close an fd from cloneTree (libc's close: node:fs did not open it). */
export function closeTree(fd: number): void {
  c.close(fd);
}
