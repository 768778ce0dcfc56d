// READDIR and READDIRPLUS: encode entries from the filesystem's listing until the kernel's size
// is reached. READDIRPLUS looks up only the entries that are actually sent, since every entry with
// a node id adds to that node's lookup count; "." and ".." (and names that vanished) go with node
// id 0, which the kernel takes as "no attributes offered", not as an error; so does an entry the
// filesystem marks noLookup.
import { direntPlusSize, encodeDirent, encodeDirentPlus } from '../protocol/index.js';
import type { Attr, DirEntry, Entry, LowLevelFs, RequestContext } from './filesystem.js';

const NO_ATTR: Attr = {
  ino: 0, size: 0, blocks: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0,
  ctimeSec: 0, ctimeNsec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0,
};
const NO_ENTRY: Entry = { nodeid: 0, generation: 0, entryValidMs: 0, attrValidMs: 0, attr: NO_ATTR };

/** Fill `out` from `o` up to `limit` with fuse_dirent records; returns the end offset. */
export function fillReaddir(out: Buffer, o: number, limit: number, entries: Iterable<DirEntry>): number {
  for (const d of entries) {
    const next = encodeDirent(out, o, limit, d);
    if (next < 0) break;
    o = next;
  }
  return o;
}

/** Fill `out` with fuse_direntplus records, looking up each name sent; returns the end offset. */
export function fillReaddirPlus(
  fs: LowLevelFs,
  ctx: RequestContext,
  dir: number,
  out: Buffer,
  o: number,
  limit: number,
  entries: Iterable<DirEntry>,
  onLookupError: (name: string, err: unknown) => void,
  sentNodes: number[],
): number {
  for (const d of entries) {
    if (o + direntPlusSize(d.name) > limit) break;
    let e = NO_ENTRY;
    if (d.name !== '.' && d.name !== '..' && !d.noLookup) {
      try {
        e = fs.lookup(ctx, dir, d.name);
        if (e.nodeid !== 0) sentNodes.push(e.nodeid);
      } catch (err) {
        onLookupError(d.name, err);
      }
    }
    o = encodeDirentPlus(out, o, e, d);
  }
  return o;
}
