// Mount-time checks, made before anything is created: the same mistakes the kernel refuses
// (missing or misplaced dirs, overlapping layers, options this overlay does not implement),
// each as one UsageError line naming the path and the reason.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { OverlayConfig } from '../format/index.js';
import { inside } from './layers.js';

function dir(path: string, what: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    throw new UsageError(`${what} ${path}: ${code === 'ENOENT' ? 'no such directory' : code}`, { code });
  }
  if (!st.isDirectory()) throw new UsageError(`${what} ${path}: not a directory`, { code: 'ENOTDIR' });
  return realpathSync(path);
}

function refuseUnsupported(cfg: OverlayConfig): void {
  const refuse = (opt: string) => new UsageError(`unsupported mount option ${opt}: ovl-fuse implements the kernel's default (off)`);
  if (cfg.datadirs.length > 0) throw new UsageError("unsupported data-only lower layers ('::'): ovl-fuse has no metacopy");
  if (cfg.index) throw refuse('index=on');
  if (cfg.metacopy) throw refuse('metacopy=on');
  if (cfg.nfsExport) throw refuse('nfs_export=on');
  if (cfg.verity !== 'off') throw refuse(`verity=${cfg.verity}`);
}

/** Check a resolved configuration and mount point; returns the config with canonical paths. */
export function validateMount(cfg: OverlayConfig, merged: string): { cfg: OverlayConfig; merged: string } {
  refuseUnsupported(cfg);
  const lowerdirs = cfg.lowerdirs.map((l) => dir(l, 'lowerdir'));
  const upperdir = cfg.upperdir === undefined ? undefined : dir(cfg.upperdir, 'upperdir');
  const workdir = cfg.workdir === undefined ? undefined : dir(cfg.workdir, 'workdir');
  const mnt = dir(merged, 'mount point');
  if (upperdir !== undefined && workdir !== undefined) {
    if (statSync(upperdir).dev !== statSync(workdir).dev) {
      throw new UsageError(`workdir ${workdir}: workdir and upperdir must reside under the same mount`);
    }
    if (inside(workdir, upperdir) || inside(upperdir, workdir)) {
      throw new UsageError(`workdir ${workdir}: workdir and upperdir must be separate subtrees`);
    }
    for (const l of lowerdirs) {
      if (inside(l, upperdir) || inside(upperdir, l)) {
        throw new UsageError(`lowerdir ${l}: overlapping lowerdir path with upperdir ${upperdir}`, { code: 'ELOOP' });
      }
      if (inside(l, workdir) || inside(workdir, l)) {
        throw new UsageError(`lowerdir ${l}: overlapping lowerdir path with workdir ${workdir}`, { code: 'ELOOP' });
      }
    }
  }
  if (!existsSync('/dev/fuse')) throw new UsageError('/dev/fuse: no such device (is the fuse module loaded?)', { code: 'ENODEV' });
  return { cfg: { ...cfg, lowerdirs, upperdir, workdir }, merged: mnt };
}
