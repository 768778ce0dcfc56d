// INIT negotiation: which protocol minor and flags we answer, given what the kernel offered.
// We only ever grant flags the kernel offered, answer the smaller of the two minors, and refuse
// a kernel older than the structs we encode with an error that names both versions.
import { OvlError } from '../../errors.js';
import { FUSE_KERNEL_MINOR_VERSION, FUSE_KERNEL_VERSION, FUSE_MIN_MINOR_VERSION, INIT_OUT_SIZE, InitFlag } from './constants.js';
import type { InitIn } from './requests.js';
import { write16, write32 } from './wire.js';

/** What the filesystem side would like; negotiate() keeps what the kernel offers. */
export interface InitWant {
  flags: bigint;
  /** Largest WRITE payload we accept (also sizes the receive buffer). */
  maxWrite: number;
  /** With FUSE_PASSTHROUGH: how deep the backing files' filesystems may be stacked. */
  maxStackDepth: number;
}

export interface InitOut {
  major: number;
  minor: number;
  maxReadahead: number;
  /** The granted flags (what the kernel offered ∩ what we want). */
  flags: bigint;
  maxWrite: number;
  maxPages: number;
  maxStackDepth: number;
  /** Timestamp granularity in ns: 1, our layers keep nanoseconds. */
  timeGran: number;
}

const PAGE = 4096;

/**
 * Answer an INIT. A major other than 7, or a minor below FUSE_MIN_MINOR_VERSION, is an OvlError
 * (EPROTO) saying what was found and what is needed; the loop answers it and ends the session.
 */
export function negotiate(init: InitIn, want: InitWant): InitOut {
  if (init.major !== FUSE_KERNEL_VERSION || init.minor < FUSE_MIN_MINOR_VERSION) {
    throw new OvlError(
      'EPROTO',
      `kernel speaks FUSE protocol ${init.major}.${init.minor}; ovl-fuse needs ${FUSE_KERNEL_VERSION}.${FUSE_MIN_MINOR_VERSION} or newer (kernel 4.20+)`,
    );
  }
  let flags = want.flags & init.flags;
  // The second flag word only travels when both sides say FUSE_INIT_EXT.
  if (!(flags & InitFlag.INIT_EXT)) flags &= 0xffffffffn;
  const pages = Math.ceil(want.maxWrite / PAGE);
  return {
    major: FUSE_KERNEL_VERSION,
    minor: Math.min(init.minor, FUSE_KERNEL_MINOR_VERSION),
    maxReadahead: init.maxReadahead,
    flags,
    maxWrite: flags & InitFlag.MAX_PAGES ? want.maxWrite : Math.min(want.maxWrite, 32 * PAGE),
    maxPages: flags & InitFlag.MAX_PAGES ? pages : 0,
    maxStackDepth: flags & InitFlag.PASSTHROUGH ? want.maxStackDepth : 0,
    timeGran: 1,
  };
}

/** fuse_init_out (64 bytes) at `o`; returns the offset after it. */
export function encodeInitOut(b: Buffer, o: number, r: InitOut): number {
  b.fill(0, o, o + INIT_OUT_SIZE);
  write32(b, o, r.major);
  write32(b, o + 4, r.minor);
  write32(b, o + 8, r.maxReadahead);
  write32(b, o + 12, Number(r.flags & 0xffffffffn));
  // max_background / congestion_threshold (o+16, o+18): 0 keeps the kernel's defaults.
  write32(b, o + 20, r.maxWrite);
  write32(b, o + 24, r.timeGran);
  write16(b, o + 28, r.maxPages);
  // map_alignment (o+30): DAX only.
  write32(b, o + 32, Number(r.flags >> 32n));
  write32(b, o + 36, r.maxStackDepth);
  return o + INIT_OUT_SIZE;
}

/**
 * The flags ovl-fuse asks for, and why each (docs/fuse.md has the long form). Not asked:
 * WRITEBACK_CACHE (the kernel would own mtime and size), POSIX/FLOCK locks (the kernel's local locks
 * are right for one mount), EXPORT_SUPPORT, CACHE_SYMLINKS (following an
overlay symlink stamps the upper symlink's atime on the kernel's overlay; a cached target would
never reach the daemon's readlink, whose upper filesystem stamps it the same way).
NO_OPENDIR_SUPPORT is the kernel saying an ENOSYS to OPENDIR means "no OPENDIR/RELEASEDIR from
now on, keep every listing (FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR)"; asking it back is how the core
learns it may answer so (ll-dirs.ts).
HANDLE_KILLPRIV_V2: the daemon drops setuid/setgid where the kernel says so (FATTR_KILL_SUIDGID,
FUSE_OPEN_KILL_SUIDGID, FUSE_WRITE_KILL_SUIDGID; a chown of the upper drops them itself), so the
kernel no longer asks GETATTR before each chown, and its SB_NOSEC spares the GETXATTR
`security.capability` of every write after a file's first (an untar: 19k of 95k requests).
POSIX_ACL: the kernel checks access against the layers' POSIX ACLs (asking GETXATTR
`system.posix_acl_access` of a node once, only for a caller who is not its owner and a mode with
group bits), as the kernel's overlay does; without it an ACL granting access was ignored.
DONT_MASK: a create's mode arrives without the caller's umask (given beside it), so the upper
filesystem can ignore the umask where the parent has a default ACL, as under the kernel's overlay.
 */
export function wantedFlags(passthrough: boolean): bigint {
  let f =
    InitFlag.ASYNC_READ |
    InitFlag.ATOMIC_O_TRUNC |
    InitFlag.BIG_WRITES |
    InitFlag.AUTO_INVAL_DATA |
    InitFlag.DO_READDIRPLUS |
    InitFlag.READDIRPLUS_AUTO |
    InitFlag.PARALLEL_DIROPS |
    InitFlag.MAX_PAGES |
    InitFlag.SETXATTR_EXT |
    InitFlag.NO_OPENDIR_SUPPORT |
    InitFlag.INIT_EXT |
    InitFlag.HANDLE_KILLPRIV_V2 |
    InitFlag.POSIX_ACL |
    InitFlag.DONT_MASK;
  // FOPEN_DIRECT_IO opens beside passthrough or cached ones (ll-passthrough.ts) may be mapped
  // MAP_SHARED: without it the kernel refuses such a mapping with ENODEV.
  if (passthrough) f |= InitFlag.PASSTHROUGH | InitFlag.DIRECT_IO_ALLOW_MMAP;
  return f;
}
