// Copying whole trees with cp(1): owners, modes, times, hard links inside the tree, device nodes
// (overlay whiteouts) and every xattr, trusted.overlay.* included (as root), sharing data blocks
// where the filesystem can reflink.
import { OvlError } from '../errors.js';
import { firstLine, runTool } from './exec.js';

/** Copy the tree `src` to the new path `dst` exactly (cp -a --reflink=auto). */
export async function copyTree(src: string, dst: string): Promise<void> {
  const r = await runTool('cp', ['-a', '--reflink=auto', '--no-target-directory', src, dst]);
  if (r.exitCode !== 0) throw new OvlError('EIO', `cannot copy ${src}: ${firstLine(r)}`, { path: dst });
}
