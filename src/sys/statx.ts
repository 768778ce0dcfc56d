// statx(2): the fields node:fs does not give, as the kernel fills them — which fields it filled
// (stx_mask), file attributes, birth time, O_DIRECT alignment. Layout of struct statx from
// include/uapi/linux/stat.h (stable ABI).
import { check } from './call.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, c } from './libc.js';

export const STATX_BTIME = 0x800;
export const STATX_DIOALIGN = 0x2000;
const STATX_BASIC_STATS = 0x7ff;
const STATX_MNT_ID = 0x1000;

export interface Statx {
  mask: number;
  blksize: number;
  attributes: bigint;
  attributesMask: bigint;
  /** Birth time in ns, when `mask` has STATX_BTIME. */
  btimeNs?: bigint;
  ctimeNs: bigint;
  dioMemAlign?: number;
  dioOffsetAlign?: number;
}

const nsAt = (b: Buffer, off: number) => b.readBigInt64LE(off) * 1_000_000_000n + BigInt(b.readUInt32LE(off + 8));

/** statx of `path` without following a final symlink, asking for the basic stats, btime and DIO alignment. */
export function statxOf(path: string): Statx {
  const b = Buffer.alloc(256);
  check(c.statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME | STATX_DIOALIGN, b) as number, 'statx', path);
  const mask = b.readUInt32LE(0) & ~STATX_MNT_ID;
  const s: Statx = {
    mask,
    blksize: b.readUInt32LE(4),
    attributes: b.readBigUInt64LE(8),
    attributesMask: b.readBigUInt64LE(56),
    ctimeNs: nsAt(b, 96),
  };
  if (mask & STATX_BTIME) s.btimeNs = nsAt(b, 80);
  if (mask & STATX_DIOALIGN) {
    s.dioMemAlign = b.readUInt32LE(152);
    s.dioOffsetAlign = b.readUInt32LE(156);
  }
  return s;
}
