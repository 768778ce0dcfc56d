// workdir/work at mount time, as the kernel's ovl_make_workdir leaves it: made afresh (what an
// earlier mount left is removed), refused while it holds an incompat feature's marker, marked
// when the mount is `volatile`, and reported, not thrown, when it cannot be made (the kernel then
// mounts read-only). Checked on 6.18.
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, rmdirSync, unlinkSync, writeFileSync } from '../sys/fs-bytes.js';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { ACL_ACCESS, ACL_DEFAULT } from '../format/index.js';
import { removeXattr } from '../sys/xattr.js';

/** Why workdir/work cannot be made, in words, for the errors a user can fix in the workdir. */
const WORKDIR_FAULTS: Record<string, string> = {
  EPERM: 'operation not permitted (immutable or append-only?)',
  EACCES: 'permission denied',
  EROFS: 'read-only filesystem',
  ENOSPC: 'no space left on device',
  ENOENT: 'the directory no longer exists (deleted?)',
};

/**
 * Make `workdir/work` afresh, as ovl_workdir_create: what a previous mount left there is removed
 * and the dir made again, without POSIX ACLs (one inherited from the workdir's default ACL) and
 * with mode 000, so that whiteouts, copies and new objects built there inherit nothing the
 * kernel's do not. A `volatile` mount then leaves its marker (markVolatile). Returns why work/
 * could not be made, as a line, or null: the kernel then mounts read-only. Throws (UsageError)
 * where the kernel refuses the mount: an incompat feature's marker, or a volatile marker that
 * cannot be made. (The kernel's cleanup stops three levels down, which its own leftovers never
 * reach, and mounts read-only below that; ours removes any depth.)
 */
export function prepareWorkdir(workdir: string, volatile = false): string | null {
  const work = join(workdir, 'work');
  refuseIncompat(workdir, work);
  try {
    removeWork(work);
    mkdirSync(work);
    for (const acl of [ACL_DEFAULT, ACL_ACCESS]) removeAcl(work, acl);
    chmodSync(work, 0);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    return `cannot create ${work}: ${WORKDIR_FAULTS[code] ?? (err as Error).message} (${code})`;
  }
  if (volatile) markVolatile(workdir, work);
  return null;
}

/**
 * ovl_workdir_cleanup_iter: a name in work/incompat/ (not one starting with a dot) is a feature
 * this mount would ignore at its peril, such as `volatile`'s marker after a volatile mount, whose
 * upper may have lost data: the kernel refuses the mount (EINVAL) until a user removes it.
 */
function refuseIncompat(workdir: string, work: string): void {
  let names: string[];
  try {
    names = readdirSync(join(work, 'incompat'));
  } catch {
    return; // none, or not a dir: removed with the rest
  }
  const feature = names.find((n) => !n.startsWith('.'));
  if (feature !== undefined) {
    throw new UsageError(`workdir ${workdir}: overlay with incompat feature '${feature}' cannot be mounted`, { code: 'EINVAL' });
  }
}

/**
 * ovl_create_volatile_dirty: `work/incompat/volatile/dirty` (dirs and file mode 000), which makes
 * the next mount of this workdir refused (refuseIncompat) until a user removes it: after a volatile
 * mount the upper may lack data its writers were told was written.
 */
function markVolatile(workdir: string, work: string): void {
  const volatile = join(work, 'incompat', 'volatile');
  try {
    mkdirSync(volatile, { recursive: true, mode: 0 });
    writeFileSync(join(volatile, 'dirty'), '', { mode: 0 });
    for (const dir of [join(work, 'incompat'), volatile]) chmodSync(dir, 0);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'EIO';
    throw new UsageError(`workdir ${workdir}: failed to create volatile/dirty: ${WORKDIR_FAULTS[code] ?? code}`, { code, cause: err });
  }
}

/**
 * Remove what a previous mount left at `work`. By hand rather than rmSync's recursion, whose
 * fallbacks turn an EPERM (an immutable work/) into ENOTDIR from a scandir of a file.
 */
function removeWork(work: string): void {
  let st;
  try {
    st = lstatSync(work);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isDirectory()) return unlinkSync(work);
  for (const name of readdirSync(work)) {
    const p = join(work, name);
    if (lstatSync(p).isDirectory()) rmSync(p, { recursive: true, force: true });
    else unlinkSync(p);
  }
  rmdirSync(work);
}

/** removexattr of an ACL; none there (ENODATA) or none on this filesystem (EOPNOTSUPP) is fine, as for the kernel. */
function removeAcl(dir: string, name: string): void {
  try {
    removeXattr(dir, name);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ENODATA' && code !== 'EOPNOTSUPP') throw err;
  }
}
