// Values of the overlay's directory and file markers: opaque, impure, redirect.
import { decodeName } from './byte-names.js';

/** `opaque=y`: the directory hides everything below it. */
export const OPAQUE_YES = 'y';
/** `opaque=x`: a lower directory that contains xattr whiteouts; NOT opaque (and ignored in the upper). */
export const OPAQUE_XWHITEOUTS = 'x';
/** `impure=y`: an upper directory holding copied-up or redirected entries. */
export const IMPURE_YES = 'y';

/** Whether an `impure` xattr value marks the dir impure (the kernel wants exactly "y"). */
export function isImpureValue(value: Buffer | string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  return (typeof value === 'string' ? value : value.toString('latin1')) === IMPURE_YES;
}

/** What a directory's opaque xattr value means. Missing, empty or unknown values are not opaque. */
export function opaqueMeaning(value: Buffer | string | null | undefined): 'opaque' | 'xwhiteouts' | 'none' {
  if (value === null || value === undefined) return 'none';
  const s = typeof value === 'string' ? value : value.toString('latin1');
  if (s === OPAQUE_YES) return 'opaque';
  if (s === OPAQUE_XWHITEOUTS) return 'xwhiteouts';
  return 'none';
}

/** The kernel's redirect_max default: an absolute redirect longer than this is refused (ENAMETOOLONG → EXDEV). */
export const REDIRECT_MAX = 256;

export type Redirect = { kind: 'relative'; name: string } | { kind: 'absolute'; path: string[] };

/**
 * Whether the kernel refuses a `redirect` value as soon as it reads it (ovl_get_redirect_xattr,
 * "invalid redirect", EINVAL): empty, a relative one with a '/', an absolute one with an empty
 * component ("//x", "/x/", "/"). A `.` or `..` component is not refused here: the layer's own
 * lookup refuses it (EACCES) if the search ever gets that far (dotRedirectPrefix).
 */
export function isInvalidRedirect(value: Buffer | string): boolean {
  const s = typeof value === 'string' ? value : decodeName(value);
  if (s.length === 0) return true;
  if (!s.startsWith('/')) return s.includes('/');
  return s.slice(1).split('/').some((c) => c.length === 0);
}

/**
 * For a valid redirect with a `.` or `..` component: the components the search looks up before it
 * meets the first such one (relative: none; absolute: the path up to it). Null when it has none.
 */
export function dotRedirectPrefix(value: Buffer | string): { absolute: boolean; prefix: string[] } | null {
  const s = typeof value === 'string' ? value : decodeName(value);
  const absolute = s.startsWith('/');
  const parts = absolute ? s.slice(1).split('/') : [s];
  const at = parts.findIndex((c) => c === '.' || c === '..');
  return at < 0 ? null : { absolute, prefix: parts.slice(0, at) };
}

/**
 * Parse a `redirect` xattr value. Relative ("ld") names a sibling in the same parent of the
 * lower layers; absolute ("/a/sub") is a path from the overlay root. Returns null for values the
 * kernel rejects (empty, `.`/`..` components, a relative value containing '/').
 */
export function parseRedirect(value: Buffer | string): Redirect | null {
  const s = typeof value === 'string' ? value : decodeName(value);
  if (s.length === 0) return null;
  if (s.startsWith('/')) {
    const path = s.split('/').filter((c) => c.length > 0);
    if (path.some((c) => c === '.' || c === '..')) return null;
    return { kind: 'absolute', path };
  }
  if (s.includes('/') || s === '.' || s === '..') return null;
  return { kind: 'relative', name: s };
}

/** The redirect value the kernel writes when a dir moves: relative if the parent is unchanged. */
export function formatRedirect(originPath: string[], newParent: string[]): string {
  const sameParent =
    originPath.length === newParent.length + 1 && newParent.every((c, i) => originPath[i] === c);
  return sameParent ? originPath[originPath.length - 1]! : '/' + originPath.join('/');
}

/**
 * The `redirect` the kernel stores on a dir moved away from `src` (ovl_set_redirect and
 * ovl_get_redirect): `redirects[i]` is the redirect the upper copy of the dir at src[0..i] already
 * carries (null: none). A dir that has one keeps it when it stays in its parent or when it is
 * absolute. Otherwise, in the same parent, the old name; moved elsewhere, the path from the root
 * built from the bottom up of each dir's redirect or name, stopping at the first absolute one.
 */
export function redirectForMove(src: string[], redirects: Array<string | null>, sameParent: boolean): string {
  const own = redirects[src.length - 1] ?? null;
  if (own !== null && (sameParent || own.startsWith('/'))) return own;
  if (sameParent) return src[src.length - 1]!;
  const parts: string[] = [];
  for (let i = src.length - 1; i >= 0; i--) {
    const part = redirects[i] ?? src[i]!;
    parts.unshift(part);
    if (part.startsWith('/')) return parts.join('/');
  }
  return '/' + parts.join('/');
}

/** The kernel's OVL_PROTATTR_MAX: a `protattr` value is read into this many bytes at most. */
export const PROTATTR_MAX = 32;

/**
 * The inode flags a `protattr` value gives an upper object (append-only 'a', immutable 'i', which
 * the kernel keeps there instead of on the upper inode). As ovl_check_protattr: a value that is
 * empty, longer than PROTATTR_MAX or holds any other byte gives none at all.
 */
export function parseProtattr(value: Buffer | null): { append: boolean; immutable: boolean } {
  const none = { append: false, immutable: false };
  if (value === null || value.length === 0 || value.length > PROTATTR_MAX) return none;
  const got = { ...none };
  for (const byte of value) {
    if (byte === 0x61) got.append = true;
    else if (byte === 0x69) got.immutable = true;
    else return none;
  }
  return got;
}

/**
 * The `protattr` value for these flags, as ovl_set_protattr writes it ('a' before 'i'); null when
 * neither is set (the xattr is then removed, not written empty).
 */
export function protattrValue(flags: { append: boolean; immutable: boolean }): Buffer | null {
  const value = (flags.append ? 'a' : '') + (flags.immutable ? 'i' : '');
  return value === '' ? null : Buffer.from(value);
}
