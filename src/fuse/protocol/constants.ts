// The numbers of the kernel's FUSE protocol, from include/uapi/linux/fuse.h (protocol 7.45,
// kernel 6.18): opcodes, INIT flags, notification codes and the sizes of the fixed structs.
// Only what ovl-fuse speaks or must recognise; the header is the authority for the rest.

export const FUSE_KERNEL_VERSION = 7;
/** The newest minor this codec knows (every struct below is laid out as of it). */
export const FUSE_KERNEL_MINOR_VERSION = 45;
/**
 * The oldest minor we accept: 7.28 brought FUSE_MAX_PAGES, FOPEN_CACHE_DIR and COPY_FILE_RANGE,
 * and every struct we decode unconditionally has had its current size since then.
 */
export const FUSE_MIN_MINOR_VERSION = 28;
export const FUSE_ROOT_ID = 1;

export const Op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
  STATX: 52,
  COPY_FILE_RANGE_64: 53,
} as const;

export const Notify = {
  POLL: 1,
  INVAL_INODE: 2,
  INVAL_ENTRY: 3,
  STORE: 4,
  RETRIEVE: 5,
  DELETE: 6,
} as const;

/** INIT flags (fuse_init_in/out `flags`, and `flags2` << 32 with FUSE_INIT_EXT). */
export const InitFlag = {
  ASYNC_READ: 1n << 0n,
  POSIX_LOCKS: 1n << 1n,
  ATOMIC_O_TRUNC: 1n << 3n,
  EXPORT_SUPPORT: 1n << 4n,
  BIG_WRITES: 1n << 5n,
  DONT_MASK: 1n << 6n,
  FLOCK_LOCKS: 1n << 10n,
  AUTO_INVAL_DATA: 1n << 12n,
  DO_READDIRPLUS: 1n << 13n,
  READDIRPLUS_AUTO: 1n << 14n,
  WRITEBACK_CACHE: 1n << 16n,
  PARALLEL_DIROPS: 1n << 18n,
  HANDLE_KILLPRIV: 1n << 19n,
  POSIX_ACL: 1n << 20n,
  MAX_PAGES: 1n << 22n,
  CACHE_SYMLINKS: 1n << 23n,
  NO_OPENDIR_SUPPORT: 1n << 24n,
  HANDLE_KILLPRIV_V2: 1n << 28n,
  SETXATTR_EXT: 1n << 29n,
  INIT_EXT: 1n << 30n,
  SECURITY_CTX: 1n << 32n,
  CREATE_SUPP_GROUP: 1n << 34n,
  DIRECT_IO_ALLOW_MMAP: 1n << 36n,
  PASSTHROUGH: 1n << 37n,
} as const;

/** fuse_setattr_in.valid */
export const FATTR_MODE = 1 << 0;
export const FATTR_UID = 1 << 1;
export const FATTR_GID = 1 << 2;
export const FATTR_SIZE = 1 << 3;
export const FATTR_ATIME = 1 << 4;
export const FATTR_MTIME = 1 << 5;
export const FATTR_FH = 1 << 6;
export const FATTR_ATIME_NOW = 1 << 7;
export const FATTR_MTIME_NOW = 1 << 8;
export const FATTR_CTIME = 1 << 10;
export const FATTR_KILL_SUIDGID = 1 << 11;

export const FUSE_GETATTR_FH = 1 << 0;
/** fuse_open_in.open_flags: an O_TRUNC open by a caller without CAP_FSETID (HANDLE_KILLPRIV_V2). */
export const FUSE_OPEN_KILL_SUIDGID = 1 << 0;
/** fuse_write_in.write_flags: a write by a caller without CAP_FSETID. */
export const FUSE_WRITE_KILL_SUIDGID = 1 << 2;
export const FUSE_FSYNC_FDATASYNC = 1 << 0;
/** fuse_setxattr_in.setxattr_flags: an ACL set must clear S_ISGID (POSIX_ACL). */
export const FUSE_SETXATTR_ACL_KILL_SGID = 1 << 0;

/**
 * The fileattr reads and writes the kernel's FUSE client sends as FUSE_IOCTL (fuse_fileattr_get
 * and _set, each between an OPEN or OPENDIR of the node and its RELEASE), by their 64-bit
 * numbers; their values are an unsigned int and a struct fsxattr.
 */
export const FS_IOC_GETFLAGS = 0x80086601;
export const FS_IOC_SETFLAGS = 0x40086602;
export const FS_IOC_FSGETXATTR = 0x801c581f;
export const FS_IOC_FSSETXATTR = 0x401c5820;
/** fuse_ioctl_in.flags: the node is a dir (its fh came from OPENDIR). */
export const FUSE_IOCTL_DIR = 1 << 4;

// Struct sizes (bytes).
export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
export const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
export const ATTR_OUT_SIZE = 16 + ATTR_SIZE;
export const OPEN_OUT_SIZE = 16;
export const WRITE_OUT_SIZE = 8;
export const STATFS_OUT_SIZE = 80;
export const GETXATTR_OUT_SIZE = 8;
export const LSEEK_OUT_SIZE = 8;
export const IOCTL_OUT_SIZE = 16;
export const INIT_OUT_SIZE = 64;
export const DIRENT_HEADER_SIZE = 24;
export const FORGET_ONE_SIZE = 16;
export const SETXATTR_IN_COMPAT_SIZE = 8;
export const SETXATTR_IN_EXT_SIZE = 16;
export const NOTIFY_INVAL_INODE_SIZE = 24;
export const NOTIFY_INVAL_ENTRY_SIZE = 16;
/**
 * fuse_notify_inval_entry_out.flags (7.38, kernel 6.2): only expire the dentry's timeout, do not
 * d_invalidate() it (which detaches every mount on it or below it).
 */
export const FUSE_EXPIRE_ONLY = 1 << 0;
/** The first protocol minor whose kernels take FUSE_EXPIRE_ONLY (older ones refuse any flag). */
export const EXPIRE_ONLY_MINOR = 38;
export const STATX_IN_SIZE = 24;
/** fuse_statx_out: validity (16), spare (16), then struct fuse_statx (256, laid out as struct statx). */
export const STATX_OUT_SIZE = 32 + 256;
