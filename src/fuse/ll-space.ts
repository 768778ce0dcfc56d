// FALLOCATE, LSEEK, COPY_FILE_RANGE and TMPFILE of the node-based transport, over the core's
// ops-space.ts and tmpfile.ts. A change to a file's data or size reaches the kernel's cached
// attributes of its other hard-link names, as WRITE does; an O_TMPFILE file is a node with no
// name (detached from the start), served through its handle until a LINK names it.
import { handleAttr } from './ll-attr.js';
import type { LlCore } from './ll-core.js';
import { opened } from './ll-files.js';
import { linkEntry } from './ll-names.js';
import type { NodeRec } from './node-table.js';
import { copyRangeHandles, fallocateHandle, seekHandle } from './ops-space.js';
import type { Entry, Opened, U64 } from './session/filesystem.js';
import { linkTmpfile, tmpfileHandle } from './tmpfile.js';

/** Key of an unnamed file's node while it is being made; '/' never occurs in a real name. */
const UNNAMED = '/tmpfile';

function dataChanged(core: LlCore, nodeid: number): void {
  const rec = core.table.get(nodeid);
  if (rec && rec.nlink > 1) core.invalidateAliases(rec.ino, rec, true);
}

export function fallocateFile(core: LlCore, nodeid: number, fh: number, offset: U64, length: U64, mode: number): void {
  try {
    fallocateHandle(core.ovl, fh, offset, length, mode);
  } catch (err) {
    // A failed fallocate may still have grown the file (ext4 keeps what it allocated before ENOSPC),
    // and the kernel's FUSE client updates its size only on success: without a drop it showed the
    // old size until the attributes expired (a review, 2026-12-07).
    core.attrsChanged(nodeid);
    throw err;
  }
  dataChanged(core, nodeid);
}

export function seekFile(core: LlCore, fh: number, offset: U64, whence: number): U64 {
  return seekHandle(core.ovl, fh, offset, whence);
}

export function copyFileRange(
  core: LlCore, fhIn: number, offIn: U64, nodeOut: number, fhOut: number, offOut: U64, len: U64, flags: number,
): number {
  const n = copyRangeHandles(core.ovl, fhIn, offIn, fhOut, offOut, len, flags);
  dataChanged(core, nodeOut);
  return n;
}

/** TMPFILE: an open unnamed file in `parent`; its node has one lookup and no name. */
export function tmpfileEntry(
  core: LlCore, parent: number, mode: number, flags: number, umask: number,
): { entry: Entry; opened: Opened } {
  const prec = core.rec(parent);
  const fh = tmpfileHandle(core.ovl, core.pathOf(prec), mode, flags, umask);
  core.table.lookup(prec, UNNAMED);
  const rec = core.table.detach(prec, UNNAMED)!;
  const attr = handleAttr(core.ovl, fh);
  core.remember(rec, attr);
  const entry = { nodeid: rec.id, generation: rec.generation, entryValidMs: 0, attrValidMs: core.policy.attrMs(false), attr };
  // Its io mode counted as any open's: another open of it (through /proc/self/fd) must get the
  // mode the kernel's inode is in, or the kernel fails that open with EIO.
  const open = opened(core, rec, fh);
  // An O_RDWR passthrough open, as at CREATE: stores through a mapping of it go unseen.
  if (core.io.storesUnseen(rec)) entry.attrValidMs = 0;
  return { entry, opened: open };
}

/** LINK: an unnamed file (linkat with AT_EMPTY_PATH of an O_TMPFILE fd) gets its first name. */
export function linkFile(core: LlCore, nodeid: number, newParent: number, newName: string): Entry {
  const rec = core.rec(nodeid);
  const fh = core.unnamedHandle(rec);
  if (fh === undefined) return linkEntry(core, nodeid, newParent, newName);
  const prec = core.rec(newParent);
  linkTmpfile(core.ovl, fh, core.childPathOf(prec, newName));
  // The unnamed node itself gets the name: a new node would leave the kernel's inode behind the
  // fd at nlink 0, and a second linkat of that fd would fail with ENOENT (the kernel's does not).
  core.table.attach(rec, prec, newName);
  return core.created(prec, newName);
}
