// Files a rename replaces while the kernel still holds their node: a read-only open of each is
// kept until the kernel forgets the node, so a request that reaches the node after the rename is
// served on the file itself, as the kernel's overlay serves it on the inode its dentry holds.
//
// Why: a writer that replaces a name by rename (config writers, package managers, dpkg for every
// file it upgrades) races readers of the name. A reader's path walk can find the old node just
// before the rename lands, and its OPEN, SETATTR or GETXATTR then names a node whose name is gone.
// With no open to reach its file the daemon answers ESTALE and the VFS walks the path again once
// (LOOKUP_REVAL); a second race within that retry failed the call (0.2–1 % of opens and truncates
// under load, where the kernel's overlay fails none: test/fuse/rename-over-race.test.ts, which
// also failed a CI run at 1.03 %). With the file kept, such a request goes through the existing
// path for a file whose name is gone while it is open (a reopen through /proc/self/fd, changes
// through the fd).
//
// Only a regular file of one link: its FUSE inode's link count drops to 0 at the rename
// (fuse_entry_unlinked), so the kernel evicts it, and the FORGET that ends the kept open comes,
// as soon as nothing holds it. A file of several links may stay cached for long, its open with it.
import { constants } from 'node:fs';
import type { NodeRec } from './node-table.js';
import type { Overlay } from './overlay.js';
import { openFileHandle, releaseHandle } from './ops-file.js';

const { O_RDONLY, S_IFREG } = constants;

export class ReplacedFiles {
  /** node id → the handle kept for it. */
  private readonly kept = new Map<number, number>();

  constructor(private readonly ovl: Overlay) {}

  /**
   * Before a rename over merged `path`, whose node is `rec`: keep an open of its file when the
   * kernel holds the node and nothing else keeps the file reachable. The handle, or undefined.
   */
  keep(rec: NodeRec | undefined, path: string): number | undefined {
    if (rec === undefined || rec.fmt !== S_IFREG || rec.nlink > 1 || rec.lookups === 0) return undefined;
    if (this.kept.has(rec.id) || this.ovl.handles.onNode(rec.id).size > 0) return undefined;
    let fh: number;
    try {
      fh = openFileHandle(this.ovl, path, O_RDONLY).fh;
    } catch {
      // Not to be had (gone already, no fd left): the request that comes after answers ESTALE.
      return undefined;
    }
    this.ovl.handles.setNode(fh, rec.id);
    this.kept.set(rec.id, fh);
    return fh;
  }

  /** The rename failed, or replaced nothing (two names of one file): the kept open `fh` goes. */
  unkeep(rec: NodeRec, fh: number): void {
    if (this.kept.get(rec.id) === fh) this.dropped(rec);
  }

  /** The kernel forgot `rec` (NodeTable.onDrop). */
  dropped(rec: NodeRec): void {
    const fh = this.kept.get(rec.id);
    if (fh === undefined) return;
    this.kept.delete(rec.id);
    releaseHandle(this.ovl, fh);
  }
}
