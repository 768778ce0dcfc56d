// Name operations: unlink, symlink, mknod, link (rename lives in rename.ts).
import { linkSync, symlinkSync } from 'node:fs';
import { isCharWhiteout } from '../format/index.js';
import type { FuseOps } from '../sys/fuse-native.js';
import { makedev, mknod } from '../sys/index.js';
import { copyUp, markImpure, upperPath } from './copy-up.js';
import { createAt, removeAt } from './create.js';
import { fail } from './errno.js';
import { forgetHidden } from './hidden.js';
import { splitPath } from './layers.js';
import { lookupPath } from './lookup.js';
import type { Overlay } from './overlay.js';
import { reply } from './reply.js';

/** The kernel's encoding of rdev in FUSE requests (new_encode_dev) → major/minor. */
export function decodeFuseDev(dev: number): [number, number] {
  return [(dev & 0xfff00) >>> 8, (dev & 0xff) | ((dev >>> 12) & 0xfff00)];
}

export function nameOps(ovl: Overlay): Partial<FuseOps> {
  return {
    unlink(path, cb) {
      reply('unlink', cb, () => {
        if (forgetHidden(ovl, path)) return;
        const node = lookupPath(ovl, path);
        if (node.isDir) fail('EISDIR', path);
        removeAt(ovl, path, node);
      });
    },
    symlink(target, path, cb) {
      reply('symlink', cb, () => {
        createAt(ovl, path, { make: (real) => symlinkSync(target, real) });
      });
    },
    mknod(path, mode, dev, cb) {
      reply('mknod', cb, () => {
        // A 0/0 char device is a whiteout: the kernel overlay refuses to create one.
        if (isCharWhiteout({ mode, rdev: dev })) fail('EPERM', path);
        const [major, minor] = decodeFuseDev(dev);
        createAt(ovl, path, { make: (real) => mknod(real, mode, makedev(major, minor)), mode });
      });
    },
    link(src, dest, cb) {
      reply('link', cb, () => {
        const node = lookupPath(ovl, src);
        if (node.isDir) fail('EPERM', src);
        copyUp(ovl, src);
        const parent = createAt(ovl, dest, { make: (real) => linkSync(upperPath(ovl, src), real), chown: false });
        // The new name may carry an origin: its parent holds a copied-up object now.
        if (!node.hits[0]!.layer.upper || parent.hits.length > 1) markImpure(ovl, upperPath(ovl, splitPath(dest)[0]));
        ovl.invalidate(src);
      });
    },
  };
}
