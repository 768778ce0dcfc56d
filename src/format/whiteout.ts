// Whiteouts in all the forms the overlay world uses:
// - the kernel's: a character device 0/0 (any mode; the kernel makes them 0000),
// - the xattr whiteout: a zero-size regular file carrying `<prefix>whiteout` (read, never written, by the kernel),
// - the layer-tar form: `.wh.<name>` and the opaque marker `.wh..wh..opq` (image tars only; the kernel treats
//   such files as ordinary names, so only conversion code may interpret them).

/** Character device numbers of a kernel whiteout. */
export const WHITEOUT_RDEV = 0;
/** File type and mode the kernel gives the whiteouts it creates (S_IFCHR | 0000). */
export const WHITEOUT_MODE = 0o020000;

const S_IFMT = 0o170000;
const S_IFCHR = 0o020000;
const S_IFREG = 0o100000;

/** The stat fields a whiteout test needs (fs.Stats and fs.BigIntStats-as-number both fit). */
export interface ModeRdevSize {
  mode: number;
  rdev: number;
  size: number;
}

/** A char device 0/0, whatever its permission bits: a whiteout in every layer. */
export function isCharWhiteout(st: Pick<ModeRdevSize, 'mode' | 'rdev'>): boolean {
  return (st.mode & S_IFMT) === S_IFCHR && st.rdev === WHITEOUT_RDEV;
}

/** A candidate xattr whiteout: only the xattr (checked by the caller) decides; this is the cheap stat filter. */
export function mayBeXattrWhiteout(st: Pick<ModeRdevSize, 'mode' | 'size'>): boolean {
  return (st.mode & S_IFMT) === S_IFREG && st.size === 0;
}

/**
 * Whether the kernel reads a dir's `opaque=x` marker in this layer (ovl_lookup_single): only in a
 * lower that is not the last one. The upper and the bottom lower are not expected to hold xattr
 * whiteouts, so there the marker means nothing (the dir is not opaque either).
 */
export function xwhiteoutsMarkerRead(layer: { upper: boolean; lastLower: boolean }): boolean {
  return !layer.upper && !layer.lastLower;
}

/** Where an xattr whiteout sits in a merged dir, as far as the kernel's listing of it cares. */
export interface XattrWhiteoutPlace {
  /** In the upper layer's copy of the dir (else in a lower's). */
  upper: boolean;
  /** The upper copy of the dir carries `impure=y` (copied-up or moved entries live in it). */
  upperImpure: boolean;
  /** This layer's copy of the dir carries `opaque=x`, in a layer where it is read (xwhiteoutsMarkerRead). */
  xwhiteoutsMarked: boolean;
}

/**
 * Whether kernel overlayfs leaves an xattr whiteout out of the listing of a MERGED dir (lookup
 * always takes it for a whiteout; a listing drops only the names it looks up, fs/overlayfs/
 * readdir.c, xino off). An upper name is looked up when the upper dir is impure, to give every
 * entry its origin's d_ino (ovl_calc_d_ino), and the failed lookup marks it stale; an upper is
 * never checked for xattr whiteouts otherwise ("we do not support xwhiteouts on upper"). A lower
 * name is checked only in a dir that layer marks `opaque=x` (check_xwhiteout). A dir the kernel
 * does not merge is read straight from its one layer: there every name is listed.
 */
export function mergedListingDropsXattrWhiteout(at: XattrWhiteoutPlace): boolean {
  return at.upper ? at.upperImpure : at.xwhiteoutsMarked;
}

/** Prefix of AUFS/OCI layer-tar whiteout names. */
export const TAR_WHITEOUT_PREFIX = '.wh.';
/** Name of the layer-tar opaque marker inside a directory. */
export const TAR_OPAQUE_NAME = '.wh..wh..opq';
/** Prefix of AUFS metadata names that carry no whiteout meaning (`.wh..wh.plnk`, …). */
export const TAR_META_PREFIX = '.wh..wh.';

export type TarName =
  | { kind: 'plain'; name: string }
  | { kind: 'whiteout'; target: string }
  | { kind: 'opaque' }
  | { kind: 'meta'; name: string };

/** Classify one path component of a layer tar. */
export function parseTarName(name: string): TarName {
  if (name === TAR_OPAQUE_NAME) return { kind: 'opaque' };
  if (name.startsWith(TAR_META_PREFIX)) return { kind: 'meta', name };
  if (name.startsWith(TAR_WHITEOUT_PREFIX) && name.length > TAR_WHITEOUT_PREFIX.length) {
    return { kind: 'whiteout', target: name.slice(TAR_WHITEOUT_PREFIX.length) };
  }
  return { kind: 'plain', name };
}

/** The layer-tar name that deletes `name` from the layers below. */
export function tarWhiteoutName(name: string): string {
  return TAR_WHITEOUT_PREFIX + name;
}
