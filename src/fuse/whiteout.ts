// The whiteouts an unlink or rmdir leaves, made as the kernel's overlay makes them (ovl_whiteout,
// fs/overlayfs/dir.c): one whiteout per mount is made in the work dir, and every later one is a
// hard link to it, so deleting a thousand lower files costs the upper one inode, not a thousand
// (an upper out of inodes still lets `rm` hide lower names, as on the kernel's overlay), and the
// upper reads as the kernel leaves it (spec S20: nlink > 1). A rename's whiteout is not one of
// these: both overlays leave that to the upper's RENAME_WHITEOUT (its own inode, nlink 1).
import { linkSync, unlinkSync } from '../sys/fs-bytes.js';
import { makeWhiteout } from '../sys/index.js';

const codeOf = (err: unknown) => (err as { code?: string }).code;

export class SharedWhiteout {
  /** Work-dir path of the whiteout the others link to; null until the first is needed. */
  private shared: string | null = null;
  /** Cleared after a link failed other than EMLINK, as the kernel's `no_shared_whiteout`. */
  private sharing = true;

  /** `temp` gives a fresh name in the work dir (Overlay.tempPath). */
  constructor(private readonly temp: () => string) {}

  /**
   * A new whiteout in the work dir, for the caller to rename over (or exchange with) the upper
   * name it goes to, as ovl_cleanup_and_whiteout does; the caller's to remove if that rename fails
   * (discard). A link of the shared whiteout while links work; where one fails, the kernel's
   * answer: after EMLINK (the shared one has as many links as the upper filesystem allows) the
   * shared one itself, and a new one is made next time; after any other error (warned about by the
   * kernel) the same, and sharing stays off for the mount: one whiteout of its own per call.
   */
  inWorkdir(): string {
    if (this.sharing) {
      const link = this.temp();
      let code = this.linkShared(link);
      // Removed beside the mount (someone emptied the work dir): made again, once.
      if (code === 'ENOENT') {
        this.shared = null;
        code = this.linkShared(link);
      }
      if (code === null) return link;
      if (code !== 'EMLINK') this.sharing = false;
    }
    const shared = this.sharedPath();
    this.shared = null;
    return shared;
  }

  /** Remove a whiteout inWorkdir gave that was not used (as the kernel's ovl_cleanup). */
  discard(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // The next mount empties the work dir.
    }
  }

  /** Link the shared whiteout (made first if need be) at `to`: null, or the errno code the link failed with. */
  private linkShared(to: string): string | null {
    const shared = this.sharedPath();
    try {
      linkSync(shared, to);
      return null;
    } catch (err) {
      return codeOf(err) ?? 'EIO';
    }
  }

  private sharedPath(): string {
    if (this.shared === null) {
      const p = this.temp();
      makeWhiteout(p);
      this.shared = p;
    }
    return this.shared;
  }
}
