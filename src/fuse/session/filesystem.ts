// The contract between the FUSE session loop (src/fuse/session, which owns /dev/fuse and the
// codec in src/fuse/protocol) and a filesystem that answers it by node id, as the kernel asks.
// Plain values only: the filesystem never sees a buffer of the wire format, the loop never sees
// a layer. A method answers by returning; it fails by throwing an OvlError (or a Node system
// error), which the loop turns into the negative errno of the reply (errors.ts: errnoOf).
// Numbers, not bigints, on this path: inode numbers stay below 2^53 here, and times travel as
// whole seconds plus nanoseconds so nothing is rounded. Sizes and offsets are U64: a bigint only
// from 2^53 on (files up to 2^63 - 1 bytes, sparse, on tmpfs), so the common path sees numbers.
import type { StatTimes } from '../../sys/real-stat.js';

/** A size or offset: a number below 2^53 (exact), a bigint from there on. */
export type U64 = number | bigint;

/**
 * A READ's hand-over (DevSession.readAside, bound to the request): `size` bytes of `fd` at
 * `offset` are read and answered by another thread; true once it took them.
 */
export type ReadAside = (fd: number, offset: number, size: number) => boolean;
/** What LowLevelFs.read returns when it handed its READ to `aside`: no reply is owed. */
export const READ_ASIDE = -1;

/** Who sent the request (fuse_in_header). */
export interface RequestContext {
  uid: number;
  gid: number;
  pid: number;
}

/** struct fuse_attr, as numbers. */
export interface Attr extends StatTimes {
  ino: number;
  size: U64;
  blocks: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
}

/**
 * A LOOKUP-like answer (fuse_entry_out). Every entry with nodeid ≠ 0 that reaches the kernel
 * adds one to that node's lookup count; FORGET gives counts back. nodeid 0 is a negative entry
 * (the name does not exist; cached for entryValidMs).
 */
export interface Entry {
  nodeid: number;
  generation: number;
  /** How long the kernel may trust the name → node binding, in milliseconds (0 = ask again). */
  entryValidMs: number;
  /** How long the kernel may trust `attr`, in milliseconds. */
  attrValidMs: number;
  attr: Attr;
}

/** A GETATTR/SETATTR answer (fuse_attr_out). */
export interface AttrReply {
  attrValidMs: number;
  attr: Attr;
}

/**
 * A STATX answer (fuse_statx_out): GETATTR's attributes plus what only statx(2) carries. The
 * kernel asks for it when a caller's statx wants more than the basic stats (the birth time).
 */
export interface StatxReply extends AttrReply {
  /** STATX_* bits filled: all basic stats, plus STATX_BTIME when the real file has a birth time. */
  mask: number;
  btimeSec: number;
  btimeNsec: number;
  /** STATX_ATTR_* bits and which of them the filesystem supports. */
  attributes: number;
  attributesMask: number;
}

/** FOPEN_* flags (fuse.h) a filesystem may set on an open/opendir/create answer. */
export const FOPEN_DIRECT_IO = 1 << 0;
export const FOPEN_KEEP_CACHE = 1 << 1;
export const FOPEN_NONSEEKABLE = 1 << 2;
export const FOPEN_CACHE_DIR = 1 << 3;
export const FOPEN_STREAM = 1 << 4;
export const FOPEN_NOFLUSH = 1 << 5;
export const FOPEN_PARALLEL_DIRECT_WRITES = 1 << 6;
export const FOPEN_PASSTHROUGH = 1 << 7;

/** An OPEN/OPENDIR answer (fuse_open_out). */
export interface Opened {
  fh: number;
  /** FOPEN_* bits. */
  openFlags: number;
  /** With FOPEN_PASSTHROUGH: the id Session.backingOpen returned for the real file's fd. */
  backingId?: number;
}

/** What SETATTR asks to change (fuse_setattr_in, only the fields whose FATTR_* bit is set). */
export interface SetAttr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: U64;
  /** 'now' for FATTR_ATIME_NOW / FATTR_MTIME_NOW. */
  atime?: { sec: number; nsec: number } | 'now';
  mtime?: { sec: number; nsec: number } | 'now';
  ctime?: { sec: number; nsec: number };
  /** FATTR_KILL_SUIDGID: a write/truncate by an unprivileged caller drops setuid/setgid. */
  killSuidgid?: boolean;
  /** The file handle when the kernel sent one (FATTR_FH), e.g. ftruncate. */
  fh?: number;
}

/** One name of a directory listing, as READDIR needs it. `off` is the cookie of the NEXT entry. */
export interface DirEntry {
  name: string;
  ino: number;
  /** DT_* type (mode >> 12). */
  type: number;
  off: number;
  /** READDIRPLUS sends it without attributes (node id 0): the kernel will LOOKUP it itself. */
  noLookup?: boolean;
}

/** A LISTXATTR answer: the names shown, and the room the list needs (see listxattr). */
export interface XattrNames {
  names: string[];
  realSize: number;
}

/** struct fuse_kstatfs. */
export interface Statfs {
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  bsize: number;
  namelen: number;
  frsize: number;
}

/**
 * What the loop offers the filesystem. Notifications are queued and written between requests:
 * INVAL_ENTRY takes the parent's lock in the kernel, so writing it while a request in that
 * directory is being answered would deadlock a single-threaded daemon.
 */
export interface Session {
  /** FUSE_NOTIFY_INVAL_INODE: drop cached attributes (and page cache from `off`, len -1 = all). */
  invalInode(nodeid: number, off?: number, len?: number): void;
  /**
   * FUSE_NOTIFY_INVAL_INODE for attributes only, written at once from the loop's thread (between
   * requests or while serving one): it locks no page and no directory, so it cannot wait on a
   * request queued for this loop, and it costs one write instead of a hand-off to another thread.
   * Absent: use invalInode.
   */
  invalAttrs?(nodeid: number): void;
  /**
   * FUSE_NOTIFY_INVAL_INODE of a directory's attributes and listing, written before the request
   * being served is answered, for a change that request made. Absent: use invalInode.
   */
  invalListing?(nodeid: number): void;
  /**
   * FUSE_NOTIFY_INVAL_ENTRY: `name` in `parent` is asked for again at its next use (and dropped
   * then if it names another node, or none; expired only, so mounts on it stay).
   */
  invalEntry(parent: number, name: string): void;
  /** FUSE_DEV_IOC_BACKING_OPEN for passthrough; null when passthrough was not negotiated. */
  backingOpen(fd: number): number | null;
  backingClose(id: number): void;
  /**
   * Serve another fd from the same loop (the lower-layer watcher's fanotify fd): the loop polls it
   * beside /dev/fuse and runs `onReadable` between requests whenever it is readable; it says
   * whether what it read came from others (a flood of such makes the loop rest: loop.ts REST_MS).
   */
  watchFd(fd: number, onReadable: () => boolean | void): void;
  /**
   * Called by a request that runs long (a copy-up, between chunks of its data): answers the
   * requests that came meanwhile and only read, keeps the others for after this one, and throws
   * EINTR once this request's caller is being killed (session/meanwhile.ts). Absent: nothing.
   * False when it reads nothing more until this request is answered (its kept requests are at
   * their limit).
   */
  meanwhile?(): boolean;
  /**
   * fsync(2) of a long request's own fd (a copy-up's copy; `path` names it in errors) while the
   * requests that come meanwhile are served as by `meanwhile`; throws the fsync's error, or what
   * `meanwhile` threw once the fsync has ended. Absent: a plain fsync.
   */
  syncServing?(fd: number, path: string): void;
  /**
   * A copy-up's reads of its lower (session/copy-reads.ts): `begin` a copy, ask `ready` before
   * each chunk, and where it says no, `serve` (which serves other requests while a read thread
   * reads the chunk in, and throws the read's error, or EINTR/ENODEV from serving); `finish` at
   * the copy's end, even a failed one. Absent: the copy reads the disk itself.
   */
  readonly copyReads?: {
    begin(fd: number, end: number, sparse: boolean, path: string): void;
    ready(offset: number, size: number): boolean;
    serve(offset: number, size: number): void;
    finish(): void;
  };
  /** A syncServing will come: get ready for it (start a sync thread, which takes ~20 ms). */
  prepareSync?(): void;
  /** The kernel granted these FUSE_* init flags (e.g. to know whether READDIRPLUS or passthrough is on). */
  readonly grantedFlags: bigint;
}

/**
 * The low-level filesystem a session serves. Node 1 is the root (FUSE_ROOT_ID); its lookup
 * count is never given back. Optional methods the filesystem lacks answer ENOSYS (and the
 * kernel stops asking where the protocol says so).
 */
export interface LowLevelFs {
  /** Called once INIT has been answered; keep `session` for notifications and backing files. */
  init(session: Session): void;
  /** The loop ended (unmount or DESTROY): release everything. */
  destroy(): void;

  lookup(ctx: RequestContext, parent: number, name: string): Entry;
  forget(nodeid: number, nlookup: number): void;
  getattr(ctx: RequestContext, nodeid: number, fh: number | null): AttrReply;
  /** FUSE_STATX; `flags` are the caller's AT_STATX_* sync hints, `mask` the STATX_* it asked for. */
  statx?(ctx: RequestContext, nodeid: number, fh: number | null, flags: number, mask: number): StatxReply;
  setattr(ctx: RequestContext, nodeid: number, set: SetAttr): AttrReply;
  readlink(ctx: RequestContext, nodeid: number): Buffer;
  mknod(ctx: RequestContext, parent: number, name: string, mode: number, rdev: number, umask: number): Entry;
  mkdir(ctx: RequestContext, parent: number, name: string, mode: number, umask: number): Entry;
  symlink(ctx: RequestContext, parent: number, name: string, target: Buffer): Entry;
  link(ctx: RequestContext, nodeid: number, newParent: number, newName: string): Entry;
  unlink(ctx: RequestContext, parent: number, name: string): void;
  rmdir(ctx: RequestContext, parent: number, name: string): void;
  /** RENAME and RENAME2; flags are RENAME_NOREPLACE / RENAME_EXCHANGE / RENAME_WHITEOUT. */
  rename(ctx: RequestContext, parent: number, name: string, newParent: number, newName: string, flags: number): void;

  /**
   * `killSuidgid` (FUSE_OPEN_KILL_SUIDGID, HANDLE_KILLPRIV_V2): an O_TRUNC open by a caller without
   * CAP_FSETID, which must drop setuid and group-executable setgid as the VFS's truncate would.
   */
  open(ctx: RequestContext, nodeid: number, flags: number, killSuidgid?: boolean): Opened;
  create(ctx: RequestContext, parent: number, name: string, mode: number, flags: number, umask: number): { entry: Entry; opened: Opened };
  /**
   * Read up to `size` bytes at `offset` into `into` (≥ size bytes); return the count read. With
   * `aside`, data the page cache lacks may be handed to it instead (READ_ASIDE: another thread
   * answers the request).
   */
  read(ctx: RequestContext, nodeid: number, fh: number, offset: U64, size: number, into: Buffer, aside?: ReadAside): number;
  /**
   * `data` is only valid during the call (it is the loop's receive buffer). `writeFlags` may carry
   * FUSE_WRITE_KILL_SUIDGID (a caller without CAP_FSETID: setuid and group-executable setgid go).
   */
  write(ctx: RequestContext, nodeid: number, fh: number, offset: U64, data: Buffer, writeFlags: number): number;
  flush(ctx: RequestContext, nodeid: number, fh: number): void;
  fsync(ctx: RequestContext, nodeid: number, fh: number, datasync: boolean): void;
  /**
   * The fd FSYNC (`dir`: FSYNCDIR) would fsync(2), or -1 when there is nothing to sync (a file
   * only in a lower, a volatile mount). A file's is its handle's (the caller dups it to keep it);
   * a dir's is a new fd the caller closes. With it the session syncs on another thread and answers
   * from there, so that a long fsync holds only its caller, not every request of the mount.
   */
  syncFd?(ctx: RequestContext, nodeid: number, fh: number, dir: boolean): number;
  release(ctx: RequestContext, nodeid: number, fh: number, flags: number): void;

  opendir(ctx: RequestContext, nodeid: number, flags: number): Opened;
  /**
   * The entries of an open directory from cookie `offset` on (0 = from the start, "." and ".."
   * included). The loop encodes as many as fit and, for READDIRPLUS, calls lookup() for each
   * entry it actually sends (never for "." and "..", which go with nodeid 0).
   */
  readdir(ctx: RequestContext, nodeid: number, fh: number, offset: number): Iterable<DirEntry>;
  fsyncdir?(ctx: RequestContext, nodeid: number, fh: number, datasync: boolean): void;
  releasedir(ctx: RequestContext, nodeid: number, fh: number): void;

  statfs(ctx: RequestContext, nodeid: number): Statfs;
  /** `killSgid`: FUSE_SETXATTR_ACL_KILL_SGID (an ACL set that must clear S_ISGID). */
  setxattr(ctx: RequestContext, nodeid: number, name: string, value: Buffer, flags: number, killSgid: boolean): void;
  /**
   * The whole value; the loop answers size-0 probes and ERANGE itself. null: not set (ENODATA),
   * answered without building an error: the kernel asks security.capability before every write.
   */
  getxattr(ctx: RequestContext, nodeid: number, name: string): Buffer | null;
  /**
   * The names, and the size the list must be given room for (≥ the names' own: the kernel's
   * overlay needs room for the real object's whole list); the loop encodes the NUL-separated
   * list, answers size-0 probes with `realSize` and ERANGE.
   */
  listxattr(ctx: RequestContext, nodeid: number): XattrNames;
  removexattr(ctx: RequestContext, nodeid: number, name: string): void;

  /**
   * lsattr: the flags word (4 bytes) or struct fsxattr (28 bytes) of a regular file or dir; `fh`
   * is the handle of the OPEN (or OPENDIR) the kernel made for the ioctl.
   */
  fileattr?(ctx: RequestContext, nodeid: number, fh: number, type: 'file' | 'dir', kind: 'flags' | 'fsxattr'): Buffer;
  /** chattr: set the flags word or struct fsxattr `value` (the VFS has checked the caller's right). */
  setFileattr?(ctx: RequestContext, nodeid: number, fh: number, type: 'file' | 'dir', kind: 'flags' | 'fsxattr', value: Buffer): void;
  fallocate?(ctx: RequestContext, nodeid: number, fh: number, offset: U64, length: U64, mode: number): void;
  /** SEEK_DATA / SEEK_HOLE (SEEK_SET/CUR/END are the kernel's own business). */
  lseek?(ctx: RequestContext, nodeid: number, fh: number, offset: U64, whence: number): U64;
  copyFileRange?(
    ctx: RequestContext,
    nodeIn: number, fhIn: number, offIn: U64,
    nodeOut: number, fhOut: number, offOut: U64,
    len: U64, flags: number,
  ): number;
  /** FUSE_TMPFILE (O_TMPFILE): an unnamed file in `parent`, opened. */
  tmpfile?(ctx: RequestContext, parent: number, mode: number, flags: number, umask: number): { entry: Entry; opened: Opened };
}
