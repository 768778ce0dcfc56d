// The POSIX ACL xattr values (system.posix_acl_access, system.posix_acl_default), as
// include/uapi/linux/posix_acl_xattr.h lays them out: a 4-byte version (2), then entries of tag
// (u16), perm (u16), id (u32), little-endian. Also a short text form, getfacl's without the
// comments ("u::rw-,u:1000:r--,g::r--,m::rw-,o::---"), which scenarios and reports use. Pure.

const VERSION = 2;
const HEADER = 4;
const ENTRY = 8;

export const ACL_ACCESS = 'system.posix_acl_access';
export const ACL_DEFAULT = 'system.posix_acl_default';

/** Whether xattr `name` is one of the two POSIX ACLs. */
export const isAcl = (name: string): boolean => name === ACL_ACCESS || name === ACL_DEFAULT;

export const ACL_USER_OBJ = 0x01;
export const ACL_USER = 0x02;
export const ACL_GROUP_OBJ = 0x04;
export const ACL_GROUP = 0x08;
export const ACL_MASK = 0x10;
export const ACL_OTHER = 0x20;

/** The id of an entry that has none (ACL_UNDEFINED_ID). */
const NO_ID = 0xffffffff;

export interface AclEntry {
  tag: number;
  perm: number;
  id: number;
}

/** The entries of an ACL xattr value; null for a value the kernel would not accept. */
export function decodeAcl(value: Buffer): AclEntry[] | null {
  if (value.length < HEADER || (value.length - HEADER) % ENTRY !== 0 || value.readUInt32LE(0) !== VERSION) return null;
  const out: AclEntry[] = [];
  for (let o = HEADER; o < value.length; o += ENTRY) {
    out.push({ tag: value.readUInt16LE(o), perm: value.readUInt16LE(o + 2), id: value.readUInt32LE(o + 4) });
  }
  return out;
}

export function encodeAcl(entries: AclEntry[]): Buffer {
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

const TAG_TEXT: Record<number, string> = { [ACL_USER_OBJ]: 'u', [ACL_USER]: 'u', [ACL_GROUP_OBJ]: 'g', [ACL_GROUP]: 'g', [ACL_MASK]: 'm', [ACL_OTHER]: 'o' };
const hasId = (tag: number) => tag === ACL_USER || tag === ACL_GROUP;

const permText = (p: number) => (p & 4 ? 'r' : '-') + (p & 2 ? 'w' : '-') + (p & 1 ? 'x' : '-');

/** An ACL value as short text ("u::rw-,u:1000:r--,g::r--,m::rw-,o::---"); null if not an ACL value. */
export function aclToText(value: Buffer): string | null {
  const entries = decodeAcl(value);
  if (!entries || entries.some((e) => TAG_TEXT[e.tag] === undefined)) return null;
  return entries.map((e) => `${TAG_TEXT[e.tag]}:${hasId(e.tag) ? e.id : ''}:${permText(e.perm)}`).join(',');
}

/**
 * The xattr value of an ACL in short text: entries `u::rwx`, `u:UID:rwx`, `g::rwx`, `g:GID:rwx`,
 * `m::rwx`, `o::rwx` (perms as rwx letters or dashes in any order), comma separated, written in the
 * order the kernel keeps (owner, named users by id, owning group, named groups by id, mask, other),
 * which it refuses others than. Throws on text it cannot read.
 */
export function aclFromText(text: string): Buffer {
  const entries = text.split(',').map((part): AclEntry => {
    const m = /^([ugmo]):(\d*):([rwx-]{0,3})$/.exec(part.trim());
    if (!m) throw new Error(`not an ACL entry: ${JSON.stringify(part)}`);
    const [, kind, id, perms] = m;
    const perm = (perms!.includes('r') ? 4 : 0) | (perms!.includes('w') ? 2 : 0) | (perms!.includes('x') ? 1 : 0);
    const named = id !== '';
    if (named && kind !== 'u' && kind !== 'g') throw new Error(`only user and group entries name an id: ${JSON.stringify(part)}`);
    const tag = { u: named ? ACL_USER : ACL_USER_OBJ, g: named ? ACL_GROUP : ACL_GROUP_OBJ, m: ACL_MASK, o: ACL_OTHER }[kind as 'u' | 'g' | 'm' | 'o'];
    return { tag, perm, id: named ? Number(id) : NO_ID };
  });
  entries.sort((a, b) => a.tag - b.tag || a.id - b.id);
  return encodeAcl(entries);
}
