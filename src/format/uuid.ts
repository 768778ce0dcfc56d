// The persistent overlay uuid (`<prefix>uuid` on the upper root, 16 bytes) and the kernel's rule
// for when a mount writes one (fs/overlayfs/util.c ovl_init_uuid_xattr, checked on kernel 6.18).
import type { UuidMode } from './mount-options.js';

/** Size of the stored uuid (UUID_SIZE). */
export const OVL_UUID_SIZE = 16;

/**
 * Does a mount with an upper write a new uuid on the upper root? `existing` is the stored value
 * (null when absent), `upperImpure` whether the upper root carries `impure`.
 * - uuid=off/null never write.
 * - A value already there is kept whatever its size (16 bytes: used; other sizes: the kernel
 *   warns and falls back to uuid=null, leaving it as it is).
 * - uuid=auto writes only on the first mount of a new overlay: an impure upper root marks an
 *   overlay used before uuids existed (downgraded to uuid=null). uuid=on writes regardless.
 * Read-only (`ro`) mounts and `userxattr` write too (the latter as `user.overlay.uuid`).
 */
export function writesUpperUuid(mode: UuidMode, existing: Buffer | null, upperImpure: boolean): boolean {
  if (mode === 'off' || mode === 'null') return false;
  if (existing !== null) return false;
  return mode === 'on' || !upperImpure;
}

/** A new random uuid as the kernel's uuid_gen makes it (RFC 4122 version 4), as 16 bytes. */
export function uuidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError(`not a uuid: ${text}`);
  return Buffer.from(hex, 'hex');
}
