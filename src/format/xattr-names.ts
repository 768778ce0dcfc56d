// Names of the overlay's own xattrs and the kernel's escaping rule for them.
// The kernel keeps its private xattrs in `trusted.overlay.*`, or `user.overlay.*` with
// `userxattr` (never both). A user setting `<prefix>X` through the mount gets the escaped
// `<prefix>overlay.X` stored in the upper; private names are hidden from listing.

/** The overlay xattrs the kernel reads or writes, by their short names (`<prefix><short>`). */
export const OVL_XATTR = {
  opaque: 'opaque',
  redirect: 'redirect',
  origin: 'origin',
  impure: 'impure',
  nlink: 'nlink',
  upper: 'upper',
  metacopy: 'metacopy',
  protattr: 'protattr',
  uuid: 'uuid',
  whiteout: 'whiteout',
} as const;
export type OvlXattrKind = keyof typeof OVL_XATTR;

export const TRUSTED_PREFIX = 'trusted.overlay.';
export const USER_PREFIX = 'user.overlay.';
/** Inserted after the prefix to store a user's own `<prefix>X` xattr (kernel OVL_XATTR_ESCAPE_PREFIX). */
const ESCAPE = 'overlay.';

/** The overlay xattr namespace in force for one mount (`userxattr` chooses `user.overlay.`). */
export class OverlayXattrs {
  readonly prefix: string;
  private readonly escapedPrefix: string;

  constructor(readonly userxattr = false) {
    this.prefix = userxattr ? USER_PREFIX : TRUSTED_PREFIX;
    this.escapedPrefix = this.prefix + ESCAPE;
  }

  /** Full on-disk name of one of the overlay's own xattrs, e.g. `trusted.overlay.opaque`. */
  name(kind: OvlXattrKind): string {
    return this.prefix + OVL_XATTR[kind];
  }

  /** True for a stored name that belongs to the overlay itself and is never shown through the mount. */
  isPrivate(stored: string): boolean {
    return stored.startsWith(this.prefix) && !stored.startsWith(this.escapedPrefix);
  }

  /** The name to store in the upper for a name given through the mount (`<prefix>X` → `<prefix>overlay.X`). */
  escape(visible: string): string {
    return visible.startsWith(this.prefix) ? this.escapedPrefix + visible.slice(this.prefix.length) : visible;
  }

  /** The name shown through the mount for a stored name, or null when it is private and hidden. */
  unescape(stored: string): string | null {
    if (!stored.startsWith(this.prefix)) return stored;
    if (!stored.startsWith(this.escapedPrefix)) return null;
    return this.prefix + stored.slice(this.escapedPrefix.length);
  }
}

/** Any overlay xattr of either namespace (for tools that read layers of unknown mount options). */
export function isAnyOverlayXattr(name: string): boolean {
  return name.startsWith(TRUSTED_PREFIX) || name.startsWith(USER_PREFIX);
}
