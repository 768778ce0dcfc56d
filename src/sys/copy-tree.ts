// Copying whole trees with cp(1): owners, modes, times, hard links inside the tree, device nodes
// (overlay whiteouts) and every xattr, trusted.overlay.* included (as root), sharing data blocks
// where the filesystem can reflink, holes kept (cp's --sparse=auto); then the chattr flags, which
// cp does not copy.
import { join } from 'node:path';
import { OvlError } from '../errors.js';
import { readdirNoatime } from './dirents.js';
import { firstLine, runTool } from './exec.js';
import { inodeFlagsOf, setInodeFlags } from './fileattr.js';
import { lstatSync } from './fs-bytes.js';

/** Copy the tree `src` to the new path `dst` exactly (cp -a --reflink=auto, then the inode flags). */
export async function copyTree(src: string, dst: string): Promise<void> {
  const r = await runTool('cp', ['-a', '--reflink=auto', '--no-target-directory', src, dst]);
  if (r.exitCode !== 0) throw new OvlError('EIO', `cannot copy ${src}: ${firstLine(r)}`, { path: dst });
  copyInodeFlags(src, dst);
}

/** The chattr flags of every regular file and dir below `src` (itself included) onto the same path below `dst`. */
function copyInodeFlags(src: string, dst: string): void {
  const st = lstatSync(src);
  if (!st.isFile() && !st.isDirectory()) return;
  if (st.isDirectory()) for (const name of readdirNoatime(src)) copyInodeFlags(join(src, name), join(dst, name));
  const flags = inodeFlagsOf(src);
  if (flags !== 0) setInodeFlags(dst, flags);
}
