// The only door to the OS beyond node:fs: xattrs, device nodes, renameat2, nanosecond times, mounts.
export * from './xattr.js';
export * from './nodes.js';
export * from './mount.js';
export * from './dirents.js';
export * from './statx.js';
export * from './exec.js';
export * from './hang-guard.js';
export * from './tmpfs.js';
export * from './mount-command.js';
export * from './statvfs.js';
export * from './copy-tree.js';
export * from './mapped.js';
export * from './programs.js';
export * from './real-stat.js';
export * from './fileattr.js';
