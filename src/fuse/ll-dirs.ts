// Directory handles of the node-based transport. The merged listing is taken at the first READDIR
// (not at OPENDIR: with the kernel's dir cache most opens never read), kept for the handle's life
// so cookies stay stable across calls, and taken afresh when a reader seeks back to 0 (rewinddir).
import { fail } from './errno.js';
import type { LlCore } from './ll-core.js';
import { type Node, lookupDir } from './lookup.js';
import { listDir } from './readdir.js';
import type { DirEntry, Opened } from './session/filesystem.js';

interface DirHandle {
  nodeid: number;
  entries: DirEntry[] | null;
  /** The nodes the listing resolved, by name, until READDIRPLUS has looked each up once. */
  resolved: Map<string, Node>;
}

export class DirHandles {
  private readonly open = new Map<number, DirHandle>();
  private next = 1;

  add(h: DirHandle): number {
    while (this.open.has(this.next) || this.next === 0) this.next = (this.next + 1) >>> 0;
    const fh = this.next++;
    this.open.set(fh, h);
    return fh;
  }

  get(fh: number): DirHandle | undefined {
    return this.open.get(fh);
  }

  remove(fh: number): void {
    this.open.delete(fh);
  }

  clear(): void {
    this.open.clear();
  }
}

export function openDir(core: LlCore, dirs: DirHandles, nodeid: number): Opened {
  // ENOENT / ENOTDIR now rather than at the first READDIR.
  lookupDir(core.ovl, core.pathOf(core.rec(nodeid)));
  return { fh: dirs.add({ nodeid, entries: null, resolved: new Map() }), openFlags: core.policy.opendirFlags() };
}

function snapshot(core: LlCore, nodeid: number, resolved: Map<string, Node>): DirEntry[] {
  resolved.clear();
  const listing = listDir(core.ovl, core.pathOf(core.rec(nodeid)), resolved);
  const out: DirEntry[] = new Array(listing.names.length);
  for (let i = 0; i < listing.names.length; i++) {
    const name = listing.names[i]!;
    // d_type is the file type bits of the mode; `off` is the cookie of the next entry.
    out[i] = { name, ino: listing.dIno[i]!, type: (listing.stats[i]!.mode >> 12) & 0xf, off: i + 1 };
    if (listing.unlooked.has(name)) out[i]!.noLookup = true;
  }
  return out;
}

/**
 * The loop looks up each entry it sends (READDIRPLUS) while it iterates: during the iteration,
 * and only then, those lookups take the listing's own resolution of the name instead of a second
 * layer search per name.
 */
function* from(core: LlCore, h: DirHandle, offset: number): Generator<DirEntry> {
  const entries = h.entries!;
  core.prefetch(h.nodeid, h.resolved);
  try {
    for (let i = offset; i < entries.length; i++) yield entries[i]!;
  } finally {
    core.prefetch(0, null);
  }
}

/** The entries from cookie `offset` on; the listing is read here, so its errors reach the reply. */
export function readDir(core: LlCore, dirs: DirHandles, nodeid: number, fh: number, offset: number): Iterable<DirEntry> {
  const h = dirs.get(fh);
  if (!h || h.nodeid !== nodeid) fail('EBADF', `dir handle ${fh}`);
  if (h.entries === null || offset === 0) h.entries = snapshot(core, nodeid, h.resolved);
  return from(core, h, offset);
}
