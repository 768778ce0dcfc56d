// Extended attributes through the mount: the overlay's own `<prefix>*` xattrs are hidden, and a
// user's `<prefix>X` is stored escaped as `<prefix>overlay.X` (both as the kernel does).
// Reading never copies up; setting or removing does.
import type { FuseOps } from '../sys/fuse-native.js';
import { getXattr, listXattrs, removeXattr, setXattr } from '../sys/index.js';
import { copyUp, upperPath } from './copy-up.js';
import { fail } from './errno.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';
import { reply } from './reply.js';

const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

export function xattrOps(ovl: Overlay): Partial<FuseOps> {
  return {
    getxattr(path, name, position, cb) {
      reply('getxattr', cb, () => {
        const value = getXattr(lookupPath(ovl, path).hits[0]!.real, ovl.xattrs.escape(name));
        return value ?? fail('ENODATA', path);
      });
    },
    listxattr(path, cb) {
      reply('listxattr', cb, () =>
        listXattrs(lookupPath(ovl, path).hits[0]!.real)
          .map((n) => ovl.xattrs.unescape(n))
          .filter((n): n is string => n !== null),
      );
    },
    setxattr(path, name, value, position, flags, cb) {
      reply('setxattr', cb, () => {
        const mode = flags & XATTR_CREATE ? 'create' : flags & XATTR_REPLACE ? 'replace' : 'any';
        setXattr(upperPath(ovl, copyUp(ovl, path).path), ovl.xattrs.escape(name), Buffer.from(value), mode);
      });
    },
    removexattr(path, name, cb) {
      reply('removexattr', cb, () => {
        const stored = ovl.xattrs.escape(name);
        // Removing what a lower object does not have is ENODATA without a copy-up (ovl_xattr_set).
        const top = lookupPath(ovl, path).hits[0]!;
        if (!top.layer.upper && getXattr(top.real, stored) === null) fail('ENODATA', path);
        removeXattr(upperPath(ovl, copyUp(ovl, path).path), stored);
      });
    },
  };
}
