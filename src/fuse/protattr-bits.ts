// Append-only and immutable as the three places that hold them spell them: an upper's `protattr`
// xattr ('a', 'i': format/markers.ts), an inode flags word (FS_APPEND_FL, FS_IMMUTABLE_FL, which
// are also the STATX_ATTR_* bits of the same meaning) and struct fsxattr's fsx_xflags
// (FS_XFLAG_APPEND, FS_XFLAG_IMMUTABLE). lsattr, chattr, copy-up and the refusals all convert
// between them here.
import { parseProtattr, protattrValue } from '../format/index.js';
import { FS_APPEND_FL, FS_IMMUTABLE_FL, FS_XFLAG_APPEND, FS_XFLAG_IMMUTABLE, type FileattrKind } from '../sys/index.js';

const FLAGS = Object.freeze({ append: FS_APPEND_FL, immutable: FS_IMMUTABLE_FL });
const XFLAGS = Object.freeze({ append: FS_XFLAG_APPEND, immutable: FS_XFLAG_IMMUTABLE });

/** The append-only and immutable bits of a flags word, or of fsx_xflags (no allocation: protOf is on the open path). */
export function protBits(kind: FileattrKind = 'flags'): Readonly<{ append: number; immutable: number }> {
  return kind === 'flags' ? FLAGS : XFLAGS;
}

/** The bits protattr value `value` (null: none) gives (ovl_check_protattr, ovl_fileattr_prot_flags). */
export function protattrToBits(value: Buffer | null, kind: FileattrKind = 'flags'): number {
  if (value === null) return 0;
  const p = parseProtattr(value);
  const bits = protBits(kind);
  return (p.append ? bits.append : 0) | (p.immutable ? bits.immutable : 0);
}

/** The protattr value for the bits set in `word` (ovl_set_protattr); null when neither is. */
export function bitsToProtattr(word: number, kind: FileattrKind = 'flags'): Buffer | null {
  const bits = protBits(kind);
  return protattrValue({ append: (word & bits.append) !== 0, immutable: (word & bits.immutable) !== 0 });
}
