// POSIX ACL inheritance of a new object, as the kernel's posix_acl_create() computes it
// (fs/posix_acl.c): a parent dir's default ACL, masked by the mode the creator asked for, becomes
// the new object's access ACL (unless it says no more than the mode), and a new dir's default ACL
// too; the caller's umask is not applied. Needed where ovl-fuse cannot let the upper filesystem do
// it: an object built in the work dir and renamed over a whiteout inherits from the work dir, so
// the kernel's overlay computes the ACLs from the real parent and sets them on the temp object
// (ovl_create_over_whiteout); so does this. Pure: xattr values in, xattr values out.
//
// The xattr format (include/uapi/linux/posix_acl_xattr.h): a 4-byte version (2), then entries of
// tag (u16), perm (u16), id (u32), little-endian.

const VERSION = 2;
const HEADER = 4;
const ENTRY = 8;

export const ACL_ACCESS = 'system.posix_acl_access';
export const ACL_DEFAULT = 'system.posix_acl_default';

/** Whether xattr `name` is one of the two POSIX ACLs. */
export const isAcl = (name: string): boolean => name === ACL_ACCESS || name === ACL_DEFAULT;

const USER_OBJ = 0x01;
const USER = 0x02;
const GROUP_OBJ = 0x04;
const GROUP = 0x08;
const MASK = 0x10;
const OTHER = 0x20;

interface Entry {
  tag: number;
  perm: number;
  id: number;
}

/** The entries of an ACL xattr value; null for a value the kernel would not accept. */
function decode(value: Buffer): Entry[] | null {
  if (value.length < HEADER || (value.length - HEADER) % ENTRY !== 0 || value.readUInt32LE(0) !== VERSION) return null;
  const out: Entry[] = [];
  for (let o = HEADER; o < value.length; o += ENTRY) {
    out.push({ tag: value.readUInt16LE(o), perm: value.readUInt16LE(o + 2), id: value.readUInt32LE(o + 4) });
  }
  return out;
}

function encode(entries: Entry[]): Buffer {
  const b = Buffer.alloc(HEADER + entries.length * ENTRY);
  b.writeUInt32LE(VERSION, 0);
  entries.forEach((e, i) => {
    const o = HEADER + i * ENTRY;
    b.writeUInt16LE(e.tag, o);
    b.writeUInt16LE(e.perm, o + 2);
    b.writeUInt32LE(e.id, o + 4);
  });
  return b;
}

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
  const entries = decode(parentDefault);
  if (!entries) return null;
  // posix_acl_create_masq(): the ACL's owner and other entries narrowed by the mode and the mode
  // by them; the group class (the mask entry, or the owning group without one) likewise.
  let m = mode & 0o777;
  let equivalent = true;
  let groupObj: Entry | undefined;
  let maskObj: Entry | undefined;
  const masked = entries.map((e) => ({ ...e }));
  for (const e of masked) {
    switch (e.tag) {
      case USER_OBJ:
        e.perm &= (m >> 6) & 7;
        m &= (e.perm << 6) | ~0o700;
        break;
      case USER:
      case GROUP:
        equivalent = false;
        break;
      case GROUP_OBJ:
        groupObj = e;
        break;
      case OTHER:
        e.perm &= m & 7;
        m &= e.perm | ~0o007;
        break;
      case MASK:
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
    access: equivalent ? null : encode(masked),
    default: isDir ? parentDefault : null,
  };
}
