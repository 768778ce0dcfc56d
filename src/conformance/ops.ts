// The operations a scenario runs, as plain data. Paths are relative to the merged dir (or, for
// `mutate`, to one layer). `fd`/`dir` numbers name handles the scenario holds open across later
// operations. describeOp() is what reports and fast-check print: it reads as the operation.

export type Access = 'r' | 'w' | 'rw';
export type MutateAction = 'write' | 'replace' | 'delete' | 'add' | 'mkdir' | 'rename' | 'whiteout' | 'opaque' | 'chmod';

export type Op = OpCall & {
  /**
   * Run as this uid (its own gid and group list), not as root: the kernel then checks modes,
   * owners and ACLs, which root passes. Generated for the ops in USER_OPS only.
   */
  as?: number;
};

type OpCall =
  | { op: 'read'; path: string }
  | { op: 'write'; path: string; offset: number; data: string }
  | { op: 'append'; path: string; data: string }
  | { op: 'create'; path: string; data: string; mode: number; excl?: boolean }
  | { op: 'open'; path: string; access: Access; trunc?: boolean; append?: boolean; creat?: boolean; excl?: boolean; fd?: number }
  | { op: 'fdRead'; fd: number; offset: number; length: number }
  | { op: 'fdWrite'; fd: number; offset: number; data: string }
  | { op: 'fdStat'; fd: number }
  | { op: 'close'; fd: number }
  | { op: 'truncate'; path: string; size: number }
  | { op: 'stat'; path: string }
  | { op: 'lstat'; path: string }
  | { op: 'readdir'; path: string }
  | { op: 'opendir'; path: string; dir: number }
  | { op: 'relist'; dir: number }
  | { op: 'closedir'; dir: number }
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'rmdir'; path: string }
  | { op: 'unlink'; path: string }
  | { op: 'rename'; from: string; to: string; flag?: 'noreplace' | 'exchange' }
  | { op: 'link'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'readlink'; path: string }
  | { op: 'chmod'; path: string; mode: number }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'utimes'; path: string; atime: number; mtime: number }
  | { op: 'getxattr'; path: string; name: string }
  | { op: 'setxattr'; path: string; name: string; value: string; mode?: 'create' | 'replace' }
  | { op: 'listxattr'; path: string }
  | { op: 'removexattr'; path: string; name: string }
  /** Set the access or default POSIX ACL (short text, src/format/posix-acl.ts), as setfacl --set does. */
  | { op: 'setacl'; path: string; which: 'access' | 'default'; acl: string }
  /** Read an ACL back as short text (ENODATA when there is none). */
  | { op: 'getacl'; path: string; which: 'access' | 'default' }
  | { op: 'mknod'; path: string; type: 'fifo' | 'chr'; mode: number; major?: number; minor?: number }
  | { op: 'statfs' }
  | { op: 'dropCaches' }
  /** Change a layer directly while mounted: layer 0 is the top lower, -1 the upper. */
  | { op: 'mutate'; layer: number; action: MutateAction; path: string; to?: string; data?: string; mode?: number }
  /** Close every held handle, unmount, and mount the same dirs again. */
  | { op: 'remount' }
  /**
   * Close every held handle, unmount, and mount again with the upper as the new top lower and a
   * fresh empty upper: a layer rotation, as an image build commits one step and starts the next.
   */
  | { op: 'rotate' }
  /** MAP_SHARED the whole file read-write, read it, write `data` at `offset` (inside the file), msync, unmap. */
  | { op: 'mmap'; path: string; offset: number; data: string }
  /**
   * open and MAP_SHARED 4 KiB of the file (PROT_READ, or PROT_READ|PROT_WRITE on an O_RDWR fd) and
   * hold the mapping as mapN while other ops run: reads and writes through write(2), copy-up,
   * truncate then meet a live mapping.
   */
  | { op: 'mapOpen'; path: string; access: 'r' | 'rw'; map: number }
  /** Read the file through mapN, up to its current size (fstat of the mapped fd): no SIGBUS past EOF. */
  | { op: 'mapRead'; map: number }
  /** Store `data` at `offset` through mapN, inside the file's current size; no msync (EACCES on a read-only mapping). */
  | { op: 'mapWrite'; map: number; offset: number; data: string }
  /** msync (when writable), munmap and close mapN. */
  | { op: 'unmap'; map: number }
  /** open with O_DIRECT and read the first 4 KiB into aligned memory (and write one 4 KiB block of `data`). */
  | { op: 'direct'; path: string; data?: string }
  /** statx: which fields the kernel filled, attributes, birth time, DIO alignment. */
  | { op: 'statx'; path: string }
  /** Whether ctime (and mtime) moved across one change: chown(-1, -1), chmod to the same mode, a user xattr, a read. */
  | { op: 'ctime'; path: string; via: CtimeVia }
  /** getdents of a dir: each name's d_type, and whether its d_ino is the st_ino lstat reports. */
  | { op: 'dirents'; path: string }
  /** chattr: add (+) or remove (-) one inode flag (FS_IOC_GETFLAGS, then FS_IOC_SETFLAGS). */
  | { op: 'chattr'; path: string; flag: ChattrFlag }
  /** lsattr: the inode flags (FS_IOC_GETFLAGS) as lsattr's letters. */
  | { op: 'lsattr'; path: string }
  /** execve the file (a busybox: `echo ok`), report exit status and output. */
  | { op: 'exec'; path: string }
  /** Start the file (busybox `sleep`) and keep it running as procN: writes to it then meet ETXTBSY. */
  | { op: 'spawn'; path: string; proc: number }
  | { op: 'kill'; proc: number };

/**
 * The ops that may run as another user: those that name a path or write through a held fd (a
 * non-root write clears set-user-ID, root's does not). Not exec and spawn: a program started with
 * a real uid of root and another effective one may switch back.
 */
export const USER_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'read', 'write', 'append', 'create', 'open', 'fdRead', 'fdWrite', 'truncate', 'stat', 'lstat', 'readdir', 'opendir',
  'mkdir', 'rmdir', 'unlink', 'rename', 'link', 'symlink', 'readlink', 'chmod', 'chown', 'utimes', 'getxattr',
  'setxattr', 'listxattr', 'removexattr', 'setacl', 'getacl', 'mknod', 'mmap', 'mapOpen', 'direct', 'statx', 'ctime', 'dirents',
  'chattr', 'lsattr',
]);

export type CtimeVia = 'chown' | 'chmod' | 'xattr' | 'read';

/** The flags chattr ops set and clear: append-only, immutable, noatime, synchronous. */
export type ChattrFlag = '+a' | '-a' | '+i' | '-i' | '+A' | '-A' | '+S' | '-S';

export type OpName = Op['op'];

/** Every op name, checked complete by the compiler: a saved scenario naming another is refused, not skipped. */
const OP_NAME_TABLE: Record<OpName, true> = {
  append: true, chattr: true, chmod: true, chown: true, close: true, closedir: true, create: true, ctime: true, direct: true,
  dirents: true, dropCaches: true, exec: true, fdRead: true, fdStat: true, fdWrite: true, getacl: true, getxattr: true,
  kill: true, link: true, listxattr: true, lsattr: true, lstat: true, mapOpen: true, mapRead: true, mapWrite: true,
  mkdir: true, mknod: true, mmap: true, mutate: true, open: true, opendir: true, read: true, readdir: true, readlink: true,
  relist: true, remount: true, removexattr: true, rename: true, rmdir: true, rotate: true, setacl: true, setxattr: true,
  spawn: true, stat: true, statfs: true, statx: true, symlink: true, truncate: true, unlink: true, unmap: true,
  utimes: true, write: true,
};
export const OP_NAMES: ReadonlySet<string> = new Set(Object.keys(OP_NAME_TABLE));

// A byte of a name that is not UTF-8 (src/format/byte-names.ts) reads \xNN, as in layer lines, not \udcNN.
const q = (s: string) => JSON.stringify(s).replace(/(?<!\\)\\udc([89a-f][0-9a-f])/g, '\\x$1');
const oct = (m: number) => '0' + m.toString(8);

function openFlags(o: Extract<Op, { op: 'open' }>): string {
  const f = [{ r: 'O_RDONLY', w: 'O_WRONLY', rw: 'O_RDWR' }[o.access]];
  if (o.creat) f.push('O_CREAT');
  if (o.excl) f.push('O_EXCL');
  if (o.trunc) f.push('O_TRUNC');
  if (o.append) f.push('O_APPEND');
  return f.join('|');
}

function describeMutate(o: Extract<Op, { op: 'mutate' }>): string {
  const layer = o.layer < 0 ? 'upper' : `l${o.layer + 1}`;
  const extra = o.to !== undefined ? ` -> ${q(o.to)}` : o.data !== undefined ? ` ${q(o.data)}` : o.mode !== undefined ? ` ${oct(o.mode)}` : '';
  return `mutate(${layer}: ${o.action} ${q(o.path)}${extra})`;
}

/** The operation as a call, e.g. `rename("a" -> "b", noreplace)`; `[uid 1000] ` before it when run as a user. */
export function describeOp(o: Op): string {
  return o.as === undefined ? describeCall(o) : `[uid ${o.as}] ${describeCall(o)}`;
}

function describeCall(o: Op): string {
  switch (o.op) {
    case 'write':
      return `write(${q(o.path)}, @${o.offset}, ${q(o.data)})`;
    case 'append':
      return `append(${q(o.path)}, ${q(o.data)})`;
    case 'create':
      return `create(${q(o.path)}, ${q(o.data)}, ${oct(o.mode)}${o.excl ? ', O_EXCL' : ''})`;
    case 'open':
      return `${o.fd !== undefined ? `fd${o.fd} = ` : ''}open(${q(o.path)}, ${openFlags(o)})`;
    case 'fdRead':
      return `pread(fd${o.fd}, @${o.offset}, ${o.length})`;
    case 'fdWrite':
      return `pwrite(fd${o.fd}, @${o.offset}, ${q(o.data)})`;
    case 'fdStat':
      return `fstat(fd${o.fd})`;
    case 'close':
      return `close(fd${o.fd})`;
    case 'truncate':
      return `truncate(${q(o.path)}, ${o.size})`;
    case 'opendir':
      return `dir${o.dir} = opendir(${q(o.path)})`;
    case 'relist':
      return `rewind+readdir(dir${o.dir})`;
    case 'closedir':
      return `closedir(dir${o.dir})`;
    case 'mkdir':
      return `mkdir(${q(o.path)}, ${oct(o.mode)})`;
    case 'rename':
      return `rename(${q(o.from)} -> ${q(o.to)}${o.flag ? ', ' + o.flag : ''})`;
    case 'link':
      return `link(${q(o.from)} -> ${q(o.to)})`;
    case 'symlink':
      return `symlink(${q(o.path)} -> ${q(o.target)})`;
    case 'chmod':
      return `chmod(${q(o.path)}, ${oct(o.mode)})`;
    case 'chown':
      return `lchown(${q(o.path)}, ${o.uid}, ${o.gid})`;
    case 'utimes':
      return `lutimes(${q(o.path)}, atime=${o.atime}, mtime=${o.mtime})`;
    case 'getxattr':
    case 'removexattr':
      return `${o.op}(${q(o.path)}, ${q(o.name)})`;
    case 'setacl':
      return `setfacl(${q(o.path)}, ${o.which}, ${q(o.acl)})`;
    case 'getacl':
      return `getfacl(${q(o.path)}, ${o.which})`;
    case 'setxattr':
      return `setxattr(${q(o.path)}, ${q(o.name)}, ${q(o.value)}${o.mode ? ', ' + o.mode : ''})`;
    case 'mknod':
      return o.type === 'fifo' ? `mkfifo(${q(o.path)}, ${oct(o.mode)})` : `mknod(${q(o.path)}, chr ${o.major ?? 0}:${o.minor ?? 0}, ${oct(o.mode)})`;
    case 'statfs':
    case 'dropCaches':
    case 'remount':
    case 'rotate':
      return `${o.op}()`;
    case 'mutate':
      return describeMutate(o);
    case 'mmap':
      return `mmap(${q(o.path)}, MAP_SHARED, write @${o.offset} ${q(o.data)}, msync)`;
    case 'mapOpen':
      return `map${o.map} = mmap(${q(o.path)}, MAP_SHARED, ${o.access === 'rw' ? 'PROT_READ|PROT_WRITE' : 'PROT_READ'})`;
    case 'mapRead':
      return `read(map${o.map})`;
    case 'mapWrite':
      return `store(map${o.map}, @${o.offset}, ${q(o.data)})`;
    case 'unmap':
      return `msync+munmap(map${o.map})`;
    case 'direct':
      return `open(${q(o.path)}, O_DIRECT)${o.data !== undefined ? ` write 4K of ${q(o.data)}` : ''} read 4K`;
    case 'ctime':
      return `ctime(${q(o.path)} across ${o.via === 'chown' ? 'lchown -1 -1' : o.via === 'chmod' ? 'chmod same mode' : o.via === 'xattr' ? 'setxattr user.c' : 'read'})`;
    case 'chattr':
      return `chattr(${q(o.path)}, ${o.flag})`;
    case 'spawn':
      return `proc${o.proc} = spawn(${q(o.path)} sleep)`;
    case 'kill':
      return `kill(proc${o.proc})`;
    default:
      return `${o.op}(${q(o.path)})`;
  }
}
