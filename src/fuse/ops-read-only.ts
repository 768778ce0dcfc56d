// A mount that must never write, on the fuse-native transport (lowlevel.ts refuses the same
// requests on /dev/fuse): no upper, or an upper whose workdir/work could not be made
// (OverlayConfig.writable false; the kernel's ovl_force_readonly). mount(2) makes it read-only and
// the kernel's FUSE client answers EROFS itself, but a FUSE mount can be remounted rw, which the
// kernel's overlay refuses for such a mount (EROFS). The daemon then refuses every change itself,
// where the kernel's VFS refuses it on the overlay's read-only mount.
import type { FuseOps } from '../sys/fuse-native.js';
import { wantsWrite } from './ops-file.js';
import type { Overlay } from './overlay.js';

/** The libfuse operations that change something, each with its callback last (fuse-native). */
const CHANGES = [
  'create', 'mknod', 'mkdir', 'symlink', 'link', 'unlink', 'rmdir', 'rename', 'truncate', 'ftruncate',
  'chmod', 'chown', 'utimens', 'setxattr', 'removexattr', 'write',
] as const;

const EROFS = -30;

/** `ops` for a mount that cannot write: every change answered EROFS, opens for writing too. */
export function readOnlyOps(ovl: Overlay, ops: Partial<FuseOps>): Partial<FuseOps> {
  if (ovl.cfg.writable) return ops;
  const out: Record<string, unknown> = { ...ops };
  for (const op of CHANGES) {
    if (!ops[op]) continue;
    out[op] = (...args: unknown[]) => {
      const cb = args[args.length - 1] as (err: number) => void;
      cb(EROFS);
    };
  }
  const open = ops.open;
  if (open) {
    out.open = (path: string, flags: number, cb: (err: number, fh?: number) => void) =>
      wantsWrite(flags) ? cb(EROFS) : open(path, flags, cb);
  }
  return out as Partial<FuseOps>;
}
