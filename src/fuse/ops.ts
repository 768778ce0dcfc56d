// The complete FUSE operation table of the overlay, one op family per module.
import type { FuseOps } from '../sys/fuse-native.js';
import { attrOps } from './ops-attr.js';
import { dirOps } from './ops-dir.js';
import { fileOps } from './ops-file.js';
import { nameOps } from './ops-names.js';
import { xattrOps } from './ops-xattr.js';
import type { Overlay } from './overlay.js';
import { readOnlyOps } from './ops-read-only.js';
import { renameOps } from './rename.js';

export function overlayOps(ovl: Overlay): Partial<FuseOps> {
  return readOnlyOps(ovl, {
    init: (cb) => cb(0),
    ...attrOps(ovl),
    ...fileOps(ovl),
    ...dirOps(ovl),
    ...nameOps(ovl),
    ...renameOps(ovl),
    ...xattrOps(ovl),
  });
}
