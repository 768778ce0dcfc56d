// One request in, one reply out: decode the body with the codec, call the filesystem, encode the
// answer after the 16-byte out header. Returns the reply's total length, or NO_REPLY for the
// requests the kernel expects no answer to (FORGET, BATCH_FORGET, INTERRUPT) and those another
// thread answers (an FSYNC or FSYNCDIR handed over by `sync`, a READ by `readAside`), or FAILED with what
// was thrown, which the loop turns into the reply's errno. The filesystem never sees the wire
// format, the codec never sees fs.
import { OvlError } from '../../errors.js';
import {
  ENTRY_OUT_SIZE,
  FS_IOC_FSGETXATTR,
  FS_IOC_FSSETXATTR,
  FS_IOC_GETFLAGS,
  FS_IOC_SETFLAGS,
  FUSE_IOCTL_DIR,
  InitFlag,
  type InHeader,
  OUT_HEADER_SIZE,
  Op,
  type ReadIn,
  decodeBatchForget,
  decodeCopyFileRange,
  decodeCreate,
  decodeFallocate,
  decodeFh,
  decodeForget,
  decodeFsync,
  decodeGetattr,
  decodeGetxattr,
  decodeLink,
  decodeIoctl,
  decodeLseek,
  decodeMkdir,
  decodeMknod,
  decodeName,
  decodeOpen,
  decodeRead,
  decodeRelease,
  decodeRename,
  decodeSetattr,
  decodeSetxattr,
  decodeStatx,
  decodeSymlink,
  decodeWrite,
  decodeXattrSize,
  encodeAttrOut,
  encodeEntry,
  encodeOpenOut,
  encodeStatfs,
  encodeStatxOut,
  encodeIoctlOut,
  encodeU64Out,
  encodeWriteOut,
} from '../protocol/index.js';
import { fillReaddir, fillReaddirPlus } from './dispatch-dir.js';
import { replyXattr, replyXattrList } from './dispatch-xattr.js';
import { type Entry, type LowLevelFs, type Opened, READ_ASIDE, type RequestContext } from './filesystem.js';

export const NO_REPLY = -1;
/** The request failed: the error (an errno-carrying error, or a bug) is in Dispatcher.failure. */
export const FAILED = -2;
const H = 40; // IN_HEADER_SIZE: every body starts there
const NOTHING = Buffer.alloc(0);
const O = OUT_HEADER_SIZE;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

function enosys(what: string): never {
  throw new OvlError('ENOSYS', `${what} is not implemented`);
}

// Made once: the loop needs only its errno, and building an error per GETXATTR cost more than
// the rest of the request. Returned, not thrown: a throw's unwinding cost ~25k instructions of
// each create (callgrind), which sends one GETXATTR for an attribute that is not there.
const NO_DATA = new OvlError('ENODATA', 'no such attribute');

export class Dispatcher {
  /** FUSE_SETXATTR_EXT changes fuse_setxattr_in's size; set once INIT is answered. */
  setxattrExt = false;
  /**
   * Node ids the reply being built hands the kernel (each adds one to its lookup count). If the
   * request fails after noting some, failed() gives them back; if the reply cannot be delivered
   * (the request was interrupted), the loop does.
   */
  readonly sentNodes: number[] = [];
  /** What the last request that returned FAILED threw. */
  failure: unknown = null;
  /**
   * Set by the loop (DevSession.sync): FSYNC and FSYNCDIR then hand it their fd and the request's
   * unique; true when another thread took the fsync over and answers it.
   */
  sync: ((unique: number, fd: number, datasync: boolean, owned: boolean) => boolean) | null = null;
  /**
   * Set by the loop (DevSession.readAside): a READ whose data the page cache lacks is then handed
   * to it with the request's unique; true when another thread took it over and answers it.
   */
  readAside: ((unique: number, fd: number, offset: number, size: number) => boolean) | null = null;
  /** The READ being served, for handOver. */
  private readUnique = 0;
  /** readAside bound to the READ being served: one function for the session, not one per READ. */
  private readonly handOver = (fd: number, offset: number, size: number): boolean => this.readAside!(this.readUnique, fd, offset, size);
  private readIn: ReadIn = { fh: 0, offset: 0, size: 0 };
  private outData: Buffer;

  constructor(
    private fs: LowLevelFs,
    private out: Buffer,
    private onLookupError: (name: string, err: unknown) => void,
  ) {
    this.outData = out.subarray(O);
  }

  /** Encode a fuse_entry_out at the payload start, noting the node id it hands out. */
  private entry(e: Entry): number {
    if (e.nodeid !== 0) this.sentNodes.push(e.nodeid);
    return encodeEntry(this.out, O, e);
  }

  /**
   * The entry of a node made by MKDIR, MKNOD or SYMLINK. The kernel drops one whose type is not
   * the one it asked for with EIO and no FORGET (create_new_entry); that happens only if the name
   * was swapped beside the mount between the make and its lookup: answer the EIO here, so that
   * failed() gives the count back.
   */
  private made(e: Entry, type: number, drop?: () => void): number {
    const len = this.entry(e);
    if (e.nodeid !== 0 && (e.attr.mode & S_IFMT) !== type) {
      drop?.();
      throw new OvlError('EIO', `node ${e.nodeid} is not of the type made`);
    }
    return len;
  }

  /**
   * The entry and open handle of a file made by CREATE or TMPFILE (`flags`: its open flags). The
   * kernel drops a non-regular one with EIO, and with neither FORGET nor RELEASE (fuse_create_open:
   * `if (!S_ISREG(outentry.attr.mode) ...) goto out_free_ff`): the handle is released here and
   * failed() gives the count back.
   */
  private created(ctx: RequestContext, made: { entry: Entry; opened: Opened }, flags: number): number {
    const { entry, opened } = made;
    this.made(entry, S_IFREG, () => this.fs.release(ctx, entry.nodeid, opened.fh, flags));
    return encodeOpenOut(this.out, O + ENTRY_OUT_SIZE, opened);
  }

  /**
   * A request that fails after its reply noted node ids is answered with an errno: the kernel
   * then drops the entry without a FORGET (fuse_lookup_name, create_new_entry, fuse_create_open:
   * `if (err) goto out_put_forget`), so the lookups counted for it are given back here.
   */
  private failed(err: unknown): number {
    this.failure = err;
    for (const id of this.sentNodes) this.fs.forget(id, 1);
    this.sentNodes.length = 0;
    return FAILED;
  }

  /** FSYNC or FSYNCDIR `h` of `fd` (a dir's `owned`) given to `sync` (-1: nothing to sync, answered at once). */
  private synced(h: InHeader, fd: number, datasync: boolean, owned: boolean): number {
    if (fd < 0) return O;
    return this.sync!(h.unique, fd, datasync, owned) ? NO_REPLY : O;
  }

  granted(flags: bigint): void {
    this.setxattrExt = (flags & InitFlag.SETXATTR_EXT) !== 0n;
  }

  /**
   * Answer request `h` (body in `b` from 40 to h.len) into the out buffer; returns the reply
   * length, NO_REPLY, or FAILED with the error in `failure`.
   */
  handle(h: InHeader, b: Buffer): number {
    // Truncated only when it holds ids: a store to an array's length is a runtime call in V8.
    if (this.sentNodes.length !== 0) this.sentNodes.length = 0;
    const fs = this.fs;
    const out = this.out;
    const end = h.len - h.extLen;
    const node = h.nodeid;
    const ctx: RequestContext = { uid: h.uid, gid: h.gid, pid: h.pid };
    // Caught here, in the frame of the switch, not in the loop: V8 gives a function its feedback
    // vector once the bytes it ran use up a budget, charged at each return, and a forward jump
    // pays back the bytes it skips. A frame left by a throw reaches no return, so the ENODATA of
    // each create's GETXATTR, thrown after the jump to `default` over every case, left `handle`
    // richer each time and without feedback for good (docs/fuse.md, "Create, fifth pass").
    try {
      switch (h.opcode) {
        case Op.LOOKUP:
          return this.entry(fs.lookup(ctx, node, decodeName(b, H, end)));
        case Op.FORGET:
          fs.forget(node, decodeForget(b, H));
          return NO_REPLY;
        case Op.BATCH_FORGET:
          decodeBatchForget(b, H, (n, c) => fs.forget(n, c));
          return NO_REPLY;
        case Op.GETATTR:
          return encodeAttrOut(out, O, fs.getattr(ctx, node, decodeGetattr(b, H)));
        case Op.SETATTR:
          return encodeAttrOut(out, O, fs.setattr(ctx, node, decodeSetattr(b, H)));
        case Op.READLINK:
          return O + fs.readlink(ctx, node).copy(out, O);
        case Op.SYMLINK: {
          const r = decodeSymlink(b, H, end);
          return this.made(fs.symlink(ctx, node, r.name, r.target), S_IFLNK);
        }
        case Op.MKNOD: {
          const r = decodeMknod(b, H, end);
          return this.made(fs.mknod(ctx, node, r.name, r.mode, r.rdev, r.umask), r.mode & S_IFMT);
        }
        case Op.MKDIR: {
          const r = decodeMkdir(b, H, end);
          return this.made(fs.mkdir(ctx, node, r.name, r.mode, r.umask), S_IFDIR);
        }
        case Op.UNLINK:
          fs.unlink(ctx, node, decodeName(b, H, end));
          return O;
        case Op.RMDIR:
          fs.rmdir(ctx, node, decodeName(b, H, end));
          return O;
        case Op.RENAME:
        case Op.RENAME2: {
          const r = decodeRename(b, H, end, h.opcode === Op.RENAME2);
          fs.rename(ctx, node, r.name, r.newParent, r.newName, r.flags);
          return O;
        }
        case Op.LINK: {
          const r = decodeLink(b, H, end);
          return this.entry(fs.link(ctx, r.oldNode, node, r.newName));
        }
        case Op.OPEN: {
          const r = decodeOpen(b, H);
          return encodeOpenOut(out, O, fs.open(ctx, node, r.flags, r.killSuidgid));
        }
        case Op.READ: {
          const r = decodeRead(b, H, this.readIn);
          const size = Math.min(r.size, this.outData.length);
          if (this.readAside === null) return O + fs.read(ctx, node, r.fh, r.offset, size, this.outData);
          this.readUnique = h.unique;
          const n = fs.read(ctx, node, r.fh, r.offset, size, this.outData, this.handOver);
          return n === READ_ASIDE ? NO_REPLY : O + n;
        }
        case Op.WRITE: {
          const r = decodeWrite(b, H);
          return encodeWriteOut(out, O, fs.write(ctx, node, r.fh, r.offset, r.data, r.writeFlags));
        }
        case Op.STATFS:
          return encodeStatfs(out, O, fs.statfs(ctx, node));
        case Op.RELEASE: {
          const r = decodeRelease(b, H);
          fs.release(ctx, node, r.fh, r.flags);
          return O;
        }
        case Op.FSYNC: {
          const r = decodeFsync(b, H);
          if (this.sync !== null && fs.syncFd) return this.synced(h, fs.syncFd(ctx, node, r.fh, false), r.datasync, false);
          fs.fsync(ctx, node, r.fh, r.datasync);
          return O;
        }
        case Op.FLUSH:
          fs.flush(ctx, node, decodeFh(b, H));
          return O;
        default:
          return this.handleMore(h, b, end, ctx);
      }
    } catch (err) {
      return this.failed(err);
    }
  }

  /** Directories, xattrs and the newer optional requests. */
  private handleMore(h: InHeader, b: Buffer, end: number, ctx: RequestContext): number {
    const fs = this.fs;
    const out = this.out;
    const node = h.nodeid;
    switch (h.opcode) {
      case Op.SETXATTR: {
        const r = decodeSetxattr(b, H, end, this.setxattrExt);
        fs.setxattr(ctx, node, r.name, r.value, r.flags, r.killSgid);
        return O;
      }
      case Op.GETXATTR: {
        const r = decodeGetxattr(b, H, end);
        const value = fs.getxattr(ctx, node, r.name);
        if (value === null) return this.failed(NO_DATA);
        return replyXattr(out, O, r.size, value);
      }
      case Op.LISTXATTR:
        return replyXattrList(out, O, decodeXattrSize(b, H), fs.listxattr(ctx, node));
      case Op.REMOVEXATTR:
        fs.removexattr(ctx, node, decodeName(b, H, end));
        return O;
      case Op.OPENDIR:
        return encodeOpenOut(out, O, fs.opendir(ctx, node, decodeOpen(b, H).flags));
      case Op.READDIR:
      case Op.READDIRPLUS: {
        const r = decodeRead(b, H, this.readIn);
        const limit = Math.min(O + r.size, out.length);
        // A cookie is one this daemon handed out (small), so never a bigint.
        const entries = fs.readdir(ctx, node, r.fh, Number(r.offset));
        if (h.opcode === Op.READDIR) return fillReaddir(out, O, limit, entries);
        return fillReaddirPlus(fs, ctx, node, out, O, limit, entries, this.onLookupError, this.sentNodes);
      }
      case Op.RELEASEDIR:
        fs.releasedir(ctx, node, decodeRelease(b, H).fh);
        return O;
      case Op.FSYNCDIR: {
        if (!fs.fsyncdir) enosys('FSYNCDIR');
        const r = decodeFsync(b, H);
        if (this.sync !== null && fs.syncFd) return this.synced(h, fs.syncFd(ctx, node, r.fh, true), r.datasync, true);
        fs.fsyncdir(ctx, node, r.fh, r.datasync);
        return O;
      }
      case Op.CREATE:
      case Op.TMPFILE: {
        const r = decodeCreate(b, H, end);
        let made;
        if (h.opcode === Op.CREATE) made = fs.create(ctx, node, r.name, r.mode, r.flags, r.umask);
        else if (fs.tmpfile) made = fs.tmpfile(ctx, node, r.mode, r.flags, r.umask);
        else enosys('TMPFILE');
        return this.created(ctx, made, r.flags);
      }
      case Op.FALLOCATE: {
        if (!fs.fallocate) enosys('FALLOCATE');
        const r = decodeFallocate(b, H);
        fs.fallocate(ctx, node, r.fh, r.offset, r.length, r.mode);
        return O;
      }
      case Op.IOCTL: {
        // The fileattr reads and writes (lsattr, chattr: src/fuse/fileattr.ts) are answered; any
        // other ioctl a client sends through its file (fuse_file_ioctl) is refused: the kernel's
        // overlay has no ioctl of its own but these (ENOTTY, as fuse_send_ioctl turns an ENOSYS
        // into).
        const r = decodeIoctl(b, H, end);
        const type = r.flags & FUSE_IOCTL_DIR ? 'dir' : 'file';
        const set = r.cmd === FS_IOC_SETFLAGS ? 'flags' : r.cmd === FS_IOC_FSSETXATTR ? 'fsxattr' : null;
        if (set !== null && fs.setFileattr) {
          if (r.data.length < (set === 'flags' ? 4 : 28)) throw new OvlError('EINVAL', `ioctl ${r.cmd.toString(16)}: ${r.data.length} bytes`);
          fs.setFileattr(ctx, node, r.fh, type, set, Buffer.from(r.data));
          return encodeIoctlOut(out, O, NOTHING);
        }
        const kind = r.cmd === FS_IOC_GETFLAGS ? 'flags' : r.cmd === FS_IOC_FSGETXATTR ? 'fsxattr' : null;
        if (kind === null || !fs.fileattr) throw new OvlError('ENOTTY', `ioctl ${r.cmd.toString(16)}`);
        const value = fs.fileattr(ctx, node, r.fh, type, kind);
        return encodeIoctlOut(out, O, value.subarray(0, Math.min(value.length, r.outSize)));
      }
      case Op.LSEEK: {
        if (!fs.lseek) enosys('LSEEK');
        const r = decodeLseek(b, H);
        return encodeU64Out(out, O, fs.lseek(ctx, node, r.fh, r.offset, r.whence));
      }
      case Op.COPY_FILE_RANGE:
      case Op.COPY_FILE_RANGE_64: {
        if (!fs.copyFileRange) enosys('COPY_FILE_RANGE');
        const r = decodeCopyFileRange(b, H);
        // The 32-bit answer of the old request caps what one call may copy.
        const len = h.opcode === Op.COPY_FILE_RANGE ? (r.len > 0xfffff000 ? 0xfffff000 : r.len) : r.len;
        const n = fs.copyFileRange(ctx, node, r.fhIn, r.offIn, r.nodeOut, r.fhOut, r.offOut, len, r.flags);
        return h.opcode === Op.COPY_FILE_RANGE ? encodeWriteOut(out, O, n) : encodeU64Out(out, O, n);
      }
      case Op.STATX: {
        if (!fs.statx) enosys('STATX');
        const r = decodeStatx(b, H);
        return encodeStatxOut(out, O, fs.statx(ctx, node, r.fh, r.flags, r.mask));
      }
      case Op.INTERRUPT:
        // Requests are answered one at a time, so the one interrupted is done or about to be.
        return NO_REPLY;
      default:
        // ACCESS (default_permissions checks in the kernel), locks, ioctl, poll, bmap, syncfs:
        // ENOSYS tells the kernel to stop asking or fall back to what it does itself.
        return enosys(`opcode ${h.opcode}`);
    }
  }
}
