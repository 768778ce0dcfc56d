// Directory handles of the node-based transport. The merged listing is taken at the first READDIR
// (not at OPENDIR: with the kernel's dir cache most opens never read), kept for the handle's life
// so cookies stay stable across calls, and taken afresh when a reader seeks back to 0 (rewinddir).
// When the kernel keeps every listing anyway (FOPEN_CACHE_DIR in this cache mode) and supports
// FUSE_NO_OPENDIR_SUPPORT, OPENDIR answers ENOSYS once and the kernel stops sending OPENDIR and
// RELEASEDIR (two round trips per opendir(3) of a cached dir, all a warm walk asked); its READDIRs
// then carry fh 0 and the listing is kept per node instead, from offset 0 to the end.
import { fail } from './errno.js';
import { InitFlag } from './protocol/index.js';
import type { LlCore } from './ll-core.js';
import { type Node, lookupDir } from './lookup.js';
import { listDir } from './readdir.js';
import { FOPEN_CACHE_DIR, FOPEN_KEEP_CACHE, type DirEntry, type Opened } from './session/filesystem.js';

interface DirHandle {
  nodeid: number;
  entries: DirEntry[] | null;
  /** The nodes the listing resolved, by name, until READDIRPLUS has looked each up once. */
  resolved: Map<string, Node>;
  /** Listing.changesWhenImpure of `entries`. */
  changesWhenImpure?: boolean;
  /** Listing.error: a READDIR from the end of `entries` on answers it. */
  error?: string;
}

/** Listings kept for handle-less readers (fh 0): the most recently read dirs, oldest dropped first. */
const NODE_LISTINGS = 64;

export class DirHandles {
  private readonly open = new Map<number, DirHandle>();
  private next = 1;
  /** Set once OPENDIR answered ENOSYS: fh 0 is then the kernel's one handle of every dir. */
  private handleless = false;
  private readonly byNode = new Map<number, DirHandle>();

  add(h: DirHandle): number {
    while (this.open.has(this.next) || this.next === 0) this.next = (this.next + 1) >>> 0;
    const fh = this.next++;
    this.open.set(fh, h);
    return fh;
  }

  remove(fh: number): void {
    this.open.delete(fh);
  }

  clear(): void {
    this.open.clear();
    this.byNode.clear();
  }

  /** Stop OPENDIR for good, if the kernel can and would cache every listing we hand it anyway. */
  goHandleless(core: LlCore): boolean {
    const cached = FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
    if (!this.handleless && core.policy.opendirFlags() === cached && core.session.grantedFlags & InitFlag.NO_OPENDIR_SUPPORT) this.handleless = true;
    return this.handleless;
  }

  /** The handle READDIR `fh` reads: a handle OPENDIR gave, or the node's own after the ENOSYS. */
  of(nodeid: number, fh: number): DirHandle | undefined {
    if (fh !== 0 || !this.handleless) return this.open.get(fh);
    let h = this.byNode.get(nodeid);
    if (h) this.byNode.delete(nodeid);
    else h = { nodeid, entries: null, resolved: new Map() };
    this.byNode.set(nodeid, h);
    if (this.byNode.size > NODE_LISTINGS) this.byNode.delete(this.byNode.keys().next().value!);
    return h;
  }

  /** A handle-less listing read to its end: the kernel holds it now (until told otherwise). */
  done(h: DirHandle): void {
    if (this.byNode.get(h.nodeid) === h) this.byNode.delete(h.nodeid);
  }
}

export function openDir(core: LlCore, dirs: DirHandles, nodeid: number): Opened {
  // ENOENT / ENOTDIR now rather than at the first READDIR.
  lookupDir(core.ovl, core.pathOf(core.rec(nodeid)));
  if (dirs.goHandleless(core)) fail('ENOSYS', 'OPENDIR: the kernel keeps the listings (FUSE_NO_OPENDIR_SUPPORT)');
  return { fh: dirs.add({ nodeid, entries: null, resolved: new Map() }), openFlags: core.policy.opendirFlags() };
}

function snapshot(core: LlCore, h: DirHandle): DirEntry[] {
  const { nodeid, resolved } = h;
  resolved.clear();
  const listing = listDir(core.ovl, core.pathOf(core.rec(nodeid)), resolved);
  h.changesWhenImpure = listing.changesWhenImpure;
  h.error = listing.error;
  const out: DirEntry[] = new Array(listing.names.length);
  for (let i = 0; i < listing.names.length; i++) {
    const name = listing.names[i]!;
    // d_type is the file type bits of the mode; `off` is the cookie of the next entry.
    out[i] = { name, ino: listing.dIno[i]!, type: (listing.shown[i]!.st.mode >> 12) & 0xf, off: i + 1 };
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
  const h = dirs.of(nodeid, fh);
  if (!h || h.nodeid !== nodeid) fail('EBADF', `dir handle ${fh}`);
  if (h.entries === null || offset === 0) h.entries = snapshot(core, h);
  // Entries before a refused lookup go out first; the request after them gets its errno.
  if (h.error !== undefined && offset >= h.entries.length) fail(h.error, `${core.pathOf(core.rec(nodeid))}: a name the listing looks up is refused`);
  core.listingServed(nodeid, h.changesWhenImpure === true);
  if (fh === 0 && offset >= h.entries.length) dirs.done(h);
  return from(core, h, offset);
}
