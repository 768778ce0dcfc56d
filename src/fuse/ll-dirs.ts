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

/** One merged listing, as taken at a READDIR from offset 0. */
interface Listing {
  entries: DirEntry[];
  /**
   * The nodes it resolved, by name, until READDIRPLUS has looked each up once; null once a name
   * of the dir changed after it was taken (READDIRPLUS then looks each name up afresh).
   */
  resolved: Map<string, Node> | null;
  /** LlCore.namesEpoch when it was taken: a later change of the dir's names makes `resolved` stale. */
  takenAt: number;
  /** Listing.changesWhenImpure of `entries`. */
  changesWhenImpure: boolean;
  /** Listing.error: a READDIR from the end of `entries` on answers it. */
  error?: string;
  /** Its cookies' generation (DirHandles.nextGen). */
  gen: number;
  /** When a READDIR last read it (ms), for KEPT_MS. */
  readAt: number;
}

interface DirHandle {
  nodeid: number;
  /** Newest first: one for an OPENDIR handle; for a handle-less dir those still read (KEPT_MS). */
  listings: Listing[];
}

/**
 * Listings kept for handle-less readers (fh 0): those of the dirs read last, oldest dropped first,
 * at most this many dirs and KEPT_TOTAL entries (~100 bytes each). A listing read to its end is
 * kept too: other readers may be reading it through the kernel's dir cache, and go on with its
 * cookies once the cache is dropped (with 64 dirs, a reader in the middle of one lost it to a walk
 * of 64 others; with finished listings dropped, a reader from the cache lost it at once).
 */
const NODE_LISTINGS = 1024;
const KEPT_TOTAL = 400_000;
/**
 * Handle-less listings of one dir kept besides its newest: a reader still in an older one goes on
 * reading it. Every reader of the dir shares fh 0, and each READDIR from offset 0 takes the
 * listing afresh (rewinddir must show what is there now); two readers at once, with names coming
 * and going, met each other's listing through the same cookies: names twice or not at all. Kept
 * while read in the last KEPT_MS, at most KEPT_GENERATIONS of them and KEPT_ENTRIES entries
 * together (each ~100 bytes). Two listers beside two writers in a dir of 2,600 names, on a loaded
 * machine, still met a dropped one with the last 3 or the last 8 kept by count.
 */
const KEPT_GENERATIONS = 32;
const KEPT_MS = 5000;
const KEPT_ENTRIES = 200_000;

/**
 * Cookies: the listing's generation above INDEX_BITS of index + 1. Every listing of the daemon's
 * life gets its own generation (2^29 of them before one comes back, under 2^53): the kernel's dir
 * cache (FOPEN_CACHE_DIR) appends a READDIR's entries to a partly filled cache when the READDIR's
 * cookie is where that cache ends, and an incomplete cache may stay for long (only a complete one
 * is checked for changes), so a cookie that came back in a later listing grafted that listing's
 * tail onto the old one's head: listings cut short or with names missing (seen with generations
 * that came back after 127 listings of a dir). Above 2^31, so a 32-bit program's telldir/seekdir
 * gets them cut (getdents itself reads on from the file position, whole).
 */
const INDEX_BITS = 24;
const INDEX_SPAN = 2 ** INDEX_BITS;
const GENERATIONS = 2 ** (53 - INDEX_BITS) - 1;

export class DirHandles {
  private readonly open = new Map<number, DirHandle>();
  private next = 1;
  /** Set once OPENDIR answered ENOSYS: fh 0 is then the kernel's one handle of every dir. */
  private handleless = false;
  private readonly byNode = new Map<number, DirHandle>();
  private gen = 0;
  /** Entries of the listings byNode's handles hold. */
  private keptEntries = 0;

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
    this.keptEntries = 0;
  }

  /** Stop OPENDIR for good, if the kernel can and would cache every listing we hand it anyway. */
  goHandleless(core: LlCore): boolean {
    const cached = FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE;
    if (!this.handleless && core.policy.opendirFlags() === cached && core.session.grantedFlags & InitFlag.NO_OPENDIR_SUPPORT) this.handleless = true;
    return this.handleless;
  }

  /**
   * A handle-less dir's listings are now `listings` (newest first): counted against KEPT_TOTAL,
   * for which the dirs read longest ago lose theirs.
   */
  relist(h: DirHandle, listings: Listing[]): void {
    this.keptEntries += entriesOf(listings) - entriesOf(h.listings);
    h.listings = listings;
    for (const old of this.byNode.values()) {
      if (this.keptEntries <= KEPT_TOTAL) break;
      if (old !== h) this.forget(old);
    }
  }

  /** Drop a handle-less dir's handle with its listings. */
  private forget(h: DirHandle): void {
    this.keptEntries -= entriesOf(h.listings);
    this.byNode.delete(h.nodeid);
  }

  /** A new listing's generation: none other the daemon made has it (until 2^29 more were made). */
  nextGen(): number {
    this.gen = (this.gen % GENERATIONS) + 1;
    return this.gen;
  }

  /** The handle READDIR `fh` reads: a handle OPENDIR gave, or the node's own after the ENOSYS. */
  of(nodeid: number, fh: number): DirHandle | undefined {
    if (fh !== 0 || !this.handleless) return this.open.get(fh);
    let h = this.byNode.get(nodeid);
    if (h) this.byNode.delete(nodeid);
    else h = { nodeid, listings: [] };
    this.byNode.set(nodeid, h);
    if (this.byNode.size > NODE_LISTINGS) this.forget(this.byNode.values().next().value!);
    return h;
  }
}

function entriesOf(listings: readonly Listing[]): number {
  let n = 0;
  for (const l of listings) n += l.entries.length;
  return n;
}

export function openDir(core: LlCore, dirs: DirHandles, nodeid: number): Opened {
  // ENOENT / ENOTDIR now rather than at the first READDIR.
  lookupDir(core.ovl, core.pathOf(core.rec(nodeid)));
  if (dirs.goHandleless(core)) fail('ENOSYS', 'OPENDIR: the kernel keeps the listings (FUSE_NO_OPENDIR_SUPPORT)');
  return { fh: dirs.add({ nodeid, listings: [] }), openFlags: core.policy.opendirFlags() };
}

function snapshot(core: LlCore, nodeid: number, gen: number): Listing {
  const resolved = new Map<string, Node>();
  const takenAt = core.namesEpoch;
  const path = core.pathOf(core.rec(nodeid));
  const listing = listDir(core.ovl, path, resolved);
  // Cookies past the index bits would name another listing's entries: refused, not misread.
  if (listing.names.length >= INDEX_SPAN) fail('EOVERFLOW', `${path}: more than ${INDEX_SPAN - 1} names`);
  const base = gen * INDEX_SPAN;
  const out: DirEntry[] = new Array(listing.names.length);
  for (let i = 0; i < listing.names.length; i++) {
    const name = listing.names[i]!;
    // d_type is the file type bits of the mode; `off` is the cookie of the next entry.
    out[i] = { name, ino: listing.dIno[i]!, type: (listing.shown[i]!.st.mode >> 12) & 0xf, off: base + i + 1 };
    if (listing.unlooked.has(name)) out[i]!.noLookup = true;
  }
  return { entries: out, resolved, takenAt, changesWhenImpure: listing.changesWhenImpure, error: listing.error, gen, readAt: 0 };
}

/**
 * The loop looks up each entry it sends (READDIRPLUS) while it iterates: during the iteration,
 * and only then, those lookups take the listing's own resolution of the name instead of a second
 * layer search per name; not once a name of the dir changed after the listing was taken (an
 * unlink by another process between two READDIRs of one listing): its resolution would hand the
 * kernel an entry, valid for a minute, for a name that is gone.
 */
function* from(core: LlCore, nodeid: number, l: Listing, index: number): Generator<DirEntry> {
  const entries = l.entries;
  if (l.resolved !== null && core.namesChangedSince(nodeid, l.takenAt)) l.resolved = null;
  core.prefetch(nodeid, l.resolved);
  try {
    for (let i = index; i < entries.length; i++) yield entries[i]!;
  } finally {
    core.prefetch(0, null);
  }
}

/**
 * The listing READDIR at cookie `offset` reads, and the index it starts at. From 0 the listing is
 * taken afresh, under a new generation. An OPENDIR handle keeps its one listing; a handle-less
 * dir those still read (KEPT_MS), so that readers sharing fh 0 each go on in the listing they
 * started. A cookie of a listing no longer kept is read from a fresh one at the same index.
 */
function listingAt(core: LlCore, dirs: DirHandles, h: DirHandle, fh: number, offset: number): [Listing, number] {
  const gen = Math.floor(offset / INDEX_SPAN);
  const index = offset % INDEX_SPAN;
  const now = Date.now();
  let l = offset === 0 ? undefined : h.listings.find((k) => k.gen === gen);
  if (l === undefined) {
    l = snapshot(core, h.nodeid, dirs.nextGen());
    // An OPENDIR handle has one reader: its old listing goes.
    if (fh !== 0) h.listings = [l];
    else {
      let kept = 0;
      const older = h.listings.filter((k, i) => i < KEPT_GENERATIONS && now - k.readAt < KEPT_MS && (kept += k.entries.length) <= KEPT_ENTRIES);
      dirs.relist(h, [l, ...older]);
    }
  }
  l.readAt = now;
  return [l, index];
}

/** The entries from cookie `offset` on; the listing is read here, so its errors reach the reply. */
export function readDir(core: LlCore, dirs: DirHandles, nodeid: number, fh: number, offset: number): Iterable<DirEntry> {
  const h = dirs.of(nodeid, fh);
  if (!h || h.nodeid !== nodeid) fail('EBADF', `dir handle ${fh}`);
  const [l, index] = listingAt(core, dirs, h, fh, offset);
  // Entries before a refused lookup go out first; the request after them gets its errno.
  if (l.error !== undefined && index >= l.entries.length) fail(l.error, `${core.pathOf(core.rec(nodeid))}: a name the listing looks up is refused`);
  core.listingServed(nodeid, l.changesWhenImpure);
  // A handle-less listing read to its end is the kernel's now: its resolution is not needed again
  // (its entries are, for readers that go on from the kernel's cache: NODE_LISTINGS).
  if (fh === 0 && index >= l.entries.length) l.resolved = null;
  return from(core, nodeid, l, index);
}
