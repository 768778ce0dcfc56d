// fuse-native's xattr callbacks over the shared core (xattrs.ts).
import type { FuseOps } from '../sys/fuse-native.js';
import { inGroupOrCapable } from './caller-creds.js';
import type { Overlay } from './overlay.js';
import { reply } from './reply.js';
import { xattrGet, xattrList, xattrRemove, xattrSet } from './xattrs.js';

export function xattrOps(ovl: Overlay): Partial<FuseOps> {
  return {
    getxattr(path, name, position, cb) {
      reply('getxattr', cb, () => xattrGet(ovl, path, name));
    },
    listxattr(path, cb) {
      reply('listxattr', cb, () => xattrList(ovl, path).names);
    },
    // libfuse 2.9 has no FUSE_SETXATTR_ACL_KILL_SGID: whether an ACL change clears set-group-ID
    // is decided from the caller's groups, as the /dev/fuse transport does for a removal.
    setxattr(path, name, value, position, flags, cb) {
      reply('setxattr', cb, () => xattrSet(ovl, path, name, Buffer.from(value), flags, (owner) => !inGroupOrCapable(ovl.caller(), owner)));
    },
    removexattr(path, name, cb) {
      reply('removexattr', cb, () => xattrRemove(ovl, path, name, (owner) => inGroupOrCapable(ovl.caller(), owner)));
    },
  };
}
