// POSIX ACL inheritance of a new object, as the kernel's posix_acl_create() computes it
// (fs/posix_acl.c): a parent dir's default ACL, masked by the mode the creator asked for, becomes
// the new object's access ACL (unless it says no more than the mode), and a new dir's default ACL
// too; the caller's umask is not applied. Needed where ovl-fuse cannot let the upper filesystem do
// it: an object built in the work dir and renamed over a whiteout inherits from the work dir, so
// the kernel's overlay computes the ACLs from the real parent and sets them on the temp object
// (ovl_create_over_whiteout); so does this. Pure: xattr values in, xattr values out (their format:
// src/format/posix-acl.ts).

import { ACL_GROUP, ACL_GROUP_OBJ, ACL_MASK, ACL_OTHER, ACL_USER, ACL_USER_OBJ, type AclEntry, decodeAcl, encodeAcl } from '../format/index.js';

export interface Inherited {
  /** The new object's mode: type and set-id bits as asked, permission bits masked by the ACL. */
  mode: number;
  /** Its access ACL, or null when the masked ACL says no more than `mode`. */
  access: Buffer | null;
  /** Its default ACL (a dir's: the parent's, unchanged), or null. */
  default: Buffer | null;
}

/**
 * posix_acl_create() for a new object of `mode` (type bits included) in a dir whose default ACL is
 * `parentDefault`; null when that value is not an ACL the kernel would have stored.
 */
export function inheritAcl(parentDefault: Buffer, mode: number): Inherited | null {
  const entries = decodeAcl(parentDefault);
  if (!entries) return null;
  // posix_acl_create_masq(): the ACL's owner and other entries narrowed by the mode and the mode
  // by them; the group class (the mask entry, or the owning group without one) likewise.
  let m = mode & 0o777;
  let equivalent = true;
  let groupObj: AclEntry | undefined;
  let maskObj: AclEntry | undefined;
  const masked = entries.map((e) => ({ ...e }));
  for (const e of masked) {
    switch (e.tag) {
      case ACL_USER_OBJ:
        e.perm &= (m >> 6) & 7;
        m &= (e.perm << 6) | ~0o700;
        break;
      case ACL_USER:
      case ACL_GROUP:
        equivalent = false;
        break;
      case ACL_GROUP_OBJ:
        groupObj = e;
        break;
      case ACL_OTHER:
        e.perm &= m & 7;
        m &= e.perm | ~0o007;
        break;
      case ACL_MASK:
        maskObj = e;
        equivalent = false;
        break;
      default:
        return null;
    }
  }
  const groupClass = maskObj ?? groupObj;
  if (!groupClass) return null;
  groupClass.perm &= (m >> 3) & 7;
  m &= (groupClass.perm << 3) | ~0o070;
  const isDir = (mode & 0o170000) === 0o040000;
  return {
    mode: (mode & ~0o777) | (m & 0o777),
    access: equivalent ? null : encodeAcl(masked),
    default: isDir ? parentDefault : null,
  };
}
