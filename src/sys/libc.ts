// The project's one door to libc, through koffi (a maintained FFI with prebuilt binaries, so no
// addon of our own to build). Node has no xattr, mknod, renameat2, utimensat-with-nanoseconds or
// mount API; everything else stays on node:fs, but for the /dev/fuse loop's read and write
// (./devfuse.ts says why) and a copy-up's open, fsync and close of its files (./fd.ts). Every
// wrapper returns the raw result and leaves errno for `lastErrno()`, so callers build typed
// errors in one place (./call.ts).
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

export const c = {
  lgetxattr: libc.func('long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
  lsetxattr: libc.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
  llistxattr: libc.func('long llistxattr(const char *path, _Out_ void *list, size_t size)'),
  lremovexattr: libc.func('int lremovexattr(const char *path, const char *name)'),
  fremovexattr: libc.func('int fremovexattr(int fd, const char *name)'),
  fgetxattr: libc.func('long fgetxattr(int fd, const char *name, _Out_ void *value, size_t size)'),
  fsetxattr: libc.func('int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)'),
  flistxattr: libc.func('long flistxattr(int fd, _Out_ void *list, size_t size)'),
  mknod: libc.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  // A worker thread cannot set the process umask through node (process.umask refuses there).
  umask: libc.func('uint32_t umask(uint32_t mask)'),
  renameat2: libc.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, uint32_t flags)'),
  // Space, unnamed files and paths of any length (./space.ts, ./long-path.ts).
  fallocate: libc.func('int fallocate(int fd, int mode, int64_t offset, int64_t len)'),
  openat: libc.func('int openat(int dirfd, const char *path, int flags, uint32_t mode)'),
  // The rest of node:fs's path calls in *at form, for paths below a held dir fd (./held-fs.ts).
  mkdirat: libc.func('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
  mknodat: libc.func('int mknodat(int dirfd, const char *path, uint32_t mode, uint64_t dev)'),
  symlinkat: libc.func('int symlinkat(const char *target, int dirfd, const char *path)'),
  fchownat: libc.func('int fchownat(int dirfd, const char *path, uint32_t uid, uint32_t gid, int flags)'),
  fchmodat: libc.func('int fchmodat(int dirfd, const char *path, uint32_t mode, int flags)'),
  unlinkat: libc.func('int unlinkat(int dirfd, const char *path, int flags)'),
  readlinkat: libc.func('long readlinkat(int dirfd, const char *path, _Out_ uint8_t *buf, size_t size)'),
  linkat: libc.func('int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)'),
  utimensat: libc.func('int utimensat(int dirfd, const char *path, const int64_t *times, int flags)'),
  // glibc's utimensat refuses a null path (EINVAL): futimens is its form for an fd.
  futimens: libc.func('int futimens(int fd, const int64_t *times)'),
  mount: libc.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
  umount2: libc.func('int umount2(const char *target, int flags)'),
  prlimit: libc.func('int prlimit(int pid, int resource, const uint64_t *newLimit, _Out_ uint64_t *oldLimit)'),
  fsopen: libc.func('int fsopen(const char *fsname, uint32_t flags)'),
  fsconfig: libc.func('int fsconfig(int fd, uint32_t cmd, const char *key, const char *value, int aux)'),
  fsmount: libc.func('int fsmount(int fd, uint32_t flags, uint32_t attr_flags)'),
  move_mount: libc.func('int move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, uint32_t flags)'),
  open_tree: libc.func('int open_tree(int dirfd, const char *path, unsigned int flags)'),
  mount_setattr: libc.func('int mount_setattr(int dirfd, const char *path, unsigned int flags, const uint8_t *attr, size_t size)'),
  close: libc.func('int close(int fd)'),
  // An upper and work dir claimed for a mount's life (../fuse/in-use.ts).
  flock: libc.func('int flock(int fd, int op)'),
  fsync: libc.func('int fsync(int fd)'),
  fdatasync: libc.func('int fdatasync(int fd)'),
  eventfd: libc.func('int eventfd(unsigned int initval, int flags)'),
  sync_file_range: libc.func('int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags)'),
  // Re-pointing an fd in place (./stdio.ts): node:fs can open and close, not replace.
  dup2: libc.func('int dup2(int oldfd, int newfd)'),
  sync: libc.func('void sync(void)'),
  statvfs: libc.func('int statvfs(const char *path, _Out_ void *buf)'),
  name_to_handle_at: libc.func(
    'int name_to_handle_at(int dirfd, const char *path, _Inout_ uint8_t *handle, _Out_ int *mount_id, int flags)',
  ),
  open_by_handle_at: libc.func('int open_by_handle_at(int mount_fd, const uint8_t *handle, int flags)'),
  getdents64: libc.func('long getdents64(int fd, _Out_ void *dirp, size_t count)'),
  copy_file_range: libc.func(
    'long copy_file_range(int fd_in, void *off_in, int fd_out, void *off_out, size_t len, unsigned int flags)',
  ),
  lseek: libc.func('long lseek(int fd, long offset, int whence)'),
  // Sizes and offsets from 2^53 on, which node:fs refuses or rounds (./offsets.ts).
  ftruncate: libc.func('int ftruncate(int fd, int64_t length)'),
  truncate: libc.func('int truncate(const char *path, int64_t length)'),
  pwrite: libc.func('long pwrite(int fd, const void *buf, size_t count, int64_t offset)'),
  // A read that only takes what the page cache holds (RWF_NOWAIT, ./read-cached.ts); its one
  // iovec is built by hand (addressOf), not marshalled per call.
  preadv2: libc.func('long preadv2(int fd, const uint8_t *iov, int iovcnt, int64_t offset, int flags)'),
  // cachestat(2) (Linux 6.5, ./read-cached.ts), which glibc 2.36 does not wrap: syscall(2) with
  // its arguments typed, not variadic (koffi's variadic call cost 3.1 µs, this 0.9). glibc's
  // syscall is an assembly stub that moves integer registers only, so a fixed prototype is safe.
  syscall_cachestat: libc.func('syscall', 'long', ['long', 'int', 'const uint8_t *', 'uint8_t *', 'unsigned int']),
  // The *xattrat calls (Linux 6.13; numbers shared by every architecture since 5.x), for paths
  // below a held dir fd (./held-path.ts): glibc 2.36 has no wrappers, so syscall(2) as above.
  // get/set take struct xattr_args { u64 value; u32 size; u32 flags } (include/uapi/linux/xattr.h).
  syscall_getxattrat: libc.func('syscall', 'long', ['long', 'int', 'const char *', 'unsigned int', 'const char *', 'const uint8_t *', 'size_t']),
  syscall_setxattrat: libc.func('syscall', 'long', ['long', 'int', 'const char *', 'unsigned int', 'const char *', 'const uint8_t *', 'size_t']),
  syscall_listxattrat: libc.func('syscall', 'long', ['long', 'int', 'const char *', 'unsigned int', '_Out_ void *', 'size_t']),
  syscall_removexattrat: libc.func('syscall', 'long', ['long', 'int', 'const char *', 'unsigned int', 'const char *']),
  // Status flags of an fd opened for one use and handed on to another (copy-up's copy, ../fuse/copy-up.ts).
  fcntl: libc.func('int fcntl(int fd, int cmd, ...)'),
  // /dev/fuse (./devfuse.ts): requests in and replies out, waiting on several fds, and the
  // device's ioctls for passthrough.
  read: libc.func('long read(int fd, _Out_ void *buf, size_t count)'),
  write: libc.func('long write(int fd, const void *buf, size_t count)'),
  poll: libc.func('int poll(void *fds, unsigned long nfds, int timeout)'),
  ioctl: libc.func('int ioctl(int fd, unsigned long request, void *arg)'),
  // FICLONE takes the source fd itself as its argument, not a pointer (./space.ts).
  ioctl_int: libc.func('ioctl', 'int', ['int', 'unsigned long', 'long']),
  posix_fadvise: libc.func('int posix_fadvise(int fd, int64_t offset, int64_t len, int advice)'),
  // fanotify (./fanotify.ts): the lower-layer watcher of ovl-fuse.
  fanotify_init: libc.func('int fanotify_init(unsigned int flags, unsigned int event_f_flags)'),
  fanotify_mark: libc.func('int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const char *path)'),
  // mmap and statx (./mapped.ts, ./statx.ts): what ovl-check observes beyond node:fs.
  mmap: libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)'),
  msync: libc.func('int msync(void *addr, size_t len, int flags)'),
  munmap: libc.func('int munmap(void *addr, size_t len)'),
  statx: libc.func('int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ uint8_t *buf)'),
};

/** Where `buf`'s bytes are: stable for a Buffer's life (node never moves a Buffer's memory). */
export function addressOf(buf: Buffer): bigint {
  return koffi.address(buf) as bigint;
}

/** errno of the last libc call made through koffi on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

// Constants from the kernel headers (stable ABI, x86_64 and arm64 alike).
export const AT_FDCWD = -100;
// open(2) flags node's fs.constants does not export.
export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_EMPTY_PATH = 0x1000;
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
export const RENAME_NOREPLACE = 1 << 0;
export const RENAME_EXCHANGE = 1 << 1;
export const RENAME_WHITEOUT = 1 << 2;
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
export const MNT_DETACH = 2;
export const MS_RDONLY = 1;
export const FSOPEN_CLOEXEC = 1;
export const FSMOUNT_CLOEXEC = 1;
export const MOVE_MOUNT_F_EMPTY_PATH = 4;
export const FSCONFIG_SET_FLAG = 0;
export const FSCONFIG_SET_STRING = 1;
export const FSCONFIG_CMD_CREATE = 6;
export const MOUNT_ATTR_RDONLY = 1;
// /dev/fuse (./devfuse.ts)
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
