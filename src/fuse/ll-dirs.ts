// Directory handles of the node-based transport. The merged listing is taken at the first READDIR
// (not at OPENDIR: with the kernel's dir cache most opens never read), kept for the handle's life
// so cookies stay stable across calls, and taken afresh when a reader seeks back to 0 (rewinddir).
// When the kernel keeps every listing anyway (FOPEN_CACHE_DIR in this cache mode) and supports
// FUSE_NO_OPENDIR_SUPPORT, OPENDIR answers ENOSYS once and the kernel stops sending OPENDIR and
// RELEASEDIR (two round trips per opendir(3) of a cached dir, all a warm walk asked); its READDIRs
// then carry fh 0 and the listing is kept per node instead, from offset 0 to the end. A name
// keeps its cookie from one listing of a dir to the next (dir-cookies.ts): every reader of a dir
// the kernel caches finds its position by cookie in that one cache.
import { fail } from './errno.js';
import { InitFlag } from './protocol/index.js';
import type { LlCore } from './ll-core.js';
import { type Node, lookupDir } from './lookup.js';
import { CookieFamily, GENERATIONS, INDEX_SPAN } from './dir-cookies.js';
import { listDir } from './readdir.js';
import { FOPEN_CACHE_DIR, FOPEN_KEEP_CACHE, type DirEntry, type Opened } from './session/filesystem.js';

/** One merged listing, as taken at a READDIR from offset 0. */
interface Listing {
  /** Its entries' cookies are this family's (dir-cookies.ts). */
  family: CookieFamily;
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
  /** The process that read it from 0: its later READDIRs go on in it, as in its own open dir on the kernel's overlay. */
  pid: number;
  /** When a READDIR last read it (ms), for KEPT_MS. */
  readAt: number;
}

interface DirHandle {
  nodeid: number;
  /** Newest first: one for an OPENDIR handle; for a dir's shared handle those still read (KEPT_MS). */
  listings: Listing[];
}

/**
 * Shared handles (fh 0, and OPENDIR handles whose listings the kernel caches) kept: those of the
 * dirs read last, oldest dropped first, at most this many dirs and KEPT_TOTAL names (~100 bytes
 * each). A listing read to its end is kept too: other readers may be reading it through the
 * kernel's dir cache, and go on with its cookies once the cache is dropped (with 64 dirs, a reader
 * in the middle of one lost it to a walk of 64 others).
 */
const NODE_LISTINGS = 1024;
const KEPT_TOTAL = 400_000;
/**
 * A shared handle's listings kept besides its newest: a process still in an older one goes on in
 * it. Every reader of a dir the kernel caches shares it, and each READDIR from offset 0 takes the
 * listing afresh (rewinddir must show what is there now). Kept while read in the last KEPT_MS, at
 * most KEPT_GENERATIONS of them and KEPT_ENTRIES entries together (each ~100 bytes).
 */
const KEPT_GENERATIONS = 32;
const KEPT_MS = 5000;
const KEPT_ENTRIES = 200_000;

export class DirHandles {
  private readonly open = new Map<number, DirHandle>();
  private next = 1;
  /** Set once OPENDIR answered ENOSYS: fh 0 is then the kernel's one handle of every dir. */
  private handleless = false;
  private readonly byNode = new Map<number, DirHandle>();
  private gen = 0;
  /** Names the listings and families of byNode's handles hold. */
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
   * A shared handle's listings are now `listings` (newest first): counted against KEPT_TOTAL,
   * for which the dirs read longest ago lose theirs.
   */
  relist(h: DirHandle, listings: Listing[]): void {
    this.keptEntries += costOf(listings) - costOf(h.listings);
    h.listings = listings;
    for (const old of this.byNode.values()) {
      if (this.keptEntries <= KEPT_TOTAL) break;
      if (old !== h) this.forget(old);
    }
  }

  /** Drop a shared handle with its listings. */
  private forget(h: DirHandle): void {
    this.keptEntries -= costOf(h.listings);
    this.byNode.delete(h.nodeid);
  }

  /** A new family's generation: none other the daemon made has it (until 2^29 more were made). */
  nextGen(): number {
    this.gen = (this.gen % GENERATIONS) + 1;
    return this.gen;
  }

  /**
   * The handle READDIR `fh` reads: the node's shared one for fh 0 after the ENOSYS, and for an
   * OPENDIR handle whose listings the kernel caches (`cached`: every reader of the dir inode shares
   * that cache, so cookies must be the dir's, not the handle's); else the handle OPENDIR gave.
   */
  of(nodeid: number, fh: number, cached: boolean): DirHandle | undefined {
    if (fh === 0 ? !this.handleless : !cached || !this.open.has(fh)) return this.open.get(fh);
    let h = this.byNode.get(nodeid);
    if (h) this.byNode.delete(nodeid);
    else h = { nodeid, listings: [] };
    this.byNode.set(nodeid, h);
    if (this.byNode.size > NODE_LISTINGS) this.forget(this.byNode.values().next().value!);
    return h;
  }
}

/** Names held by `listings` and their families (each family once). */
function costOf(listings: readonly Listing[]): number {
  let n = 0;
  const families = new Set<CookieFamily>();
  for (const l of listings) {
    n += l.entries.length;
    if (!families.has(l.family)) families.add(l.family), (n += l.family.size);
  }
  return n;
}

export function openDir(core: LlCore, dirs: DirHandles, nodeid: number): Opened {
  // ENOENT / ENOTDIR now rather than at the first READDIR.
  lookupDir(core.ovl, core.pathOf(core.rec(nodeid)));
  if (dirs.goHandleless(core)) fail('ENOSYS', 'OPENDIR: the kernel keeps the listings (FUSE_NO_OPENDIR_SUPPORT)');
  return { fh: dirs.add({ nodeid, listings: [] }), openFlags: core.policy.opendirFlags() };
}

/**
 * The dir's names now, with the cookies of `family` where it can keep them (a new family, from
 * DirHandles.nextGen, where there is none or it is spent).
 */
function snapshot(core: LlCore, dirs: DirHandles, nodeid: number, family: CookieFamily | undefined, pid: number): Listing {
  const resolved = new Map<string, Node>();
  const takenAt = core.namesEpoch;
  const path = core.pathOf(core.rec(nodeid));
  const listing = listDir(core.ovl, path, resolved);
  // Cookies past the index bits would name another family's entries: refused, not misread.
  if (listing.names.length >= INDEX_SPAN) fail('EOVERFLOW', `${path}: more than ${INDEX_SPAN - 1} names`);
  let ids = family?.fold(listing.names) ?? null;
  if (ids === null) {
    family = new CookieFamily(dirs.nextGen(), listing.names);
    ids = null;
  }
  const out: DirEntry[] = new Array(listing.names.length);
  for (let i = 0; i < listing.names.length; i++) {
    const name = listing.names[i]!;
    // d_type is the file type bits of the mode; `off` is the position after the entry: its cookie.
    out[i] = { name, ino: listing.dIno[i]!, type: (listing.shown[i]!.st.mode >> 12) & 0xf, off: family!.cookie(ids === null ? i + 1 : ids[i]!) };
    if (listing.unlooked.has(name)) out[i]!.noLookup = true;
  }
  return { family: family!, entries: out, resolved, takenAt, changesWhenImpure: listing.changesWhenImpure, error: listing.error, pid, readAt: 0 };
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
 * taken afresh. Later cookies go on after the cookie's name, in the listing the same process
 * took (as its own open dir would on the kernel's overlay), else in the newest of the family:
 * that is where the kernel's dir cache, filled by one reader, sends the others. A cookie of a
 * family no longer kept is read from a fresh listing at its id (a family's first ids are its
 * first listing's indices).
 */
function listingAt(core: LlCore, dirs: DirHandles, h: DirHandle, shared: boolean, offset: number, pid: number): [Listing, number] {
  const gen = Math.floor(offset / INDEX_SPAN);
  const id = offset % INDEX_SPAN;
  const now = Date.now();
  let l: Listing | undefined;
  let index = 0;
  if (offset !== 0) {
    const ofFamily = h.listings.filter((k) => k.family.gen === gen);
    l = ofFamily.find((k) => k.pid === pid) ?? ofFamily[0];
    const rank = l?.family.rank(id);
    if (rank === undefined) l = undefined;
    else index = after(l!, rank);
  }
  if (l === undefined) {
    l = snapshot(core, dirs, h.nodeid, h.listings[0]?.family, pid);
    if (offset !== 0) index = Math.min(id, l.entries.length);
    // An unshared OPENDIR handle has one reader: its old listing goes.
    if (!shared) h.listings = [l];
    else {
      let kept = 0;
      const older = h.listings.filter((k, i) => i < KEPT_GENERATIONS && now - k.readAt < KEPT_MS && (kept += k.entries.length) <= KEPT_ENTRIES);
      dirs.relist(h, [l, ...older]);
    }
  }
  l.readAt = now;
  return [l, index];
}

/** The index of the first entry of `l` that its family places after `rank`. */
function after(l: Listing, rank: number): number {
  const f = l.family;
  const base = f.gen * INDEX_SPAN;
  let lo = 0;
  let hi = l.entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f.rank(l.entries[mid]!.off - base)! <= rank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The entries from cookie `offset` on; the listing is read here, so its errors reach the reply. */
export function readDir(core: LlCore, dirs: DirHandles, nodeid: number, fh: number, offset: number, pid: number): Iterable<DirEntry> {
  const shared = fh === 0 || (core.policy.opendirFlags() & FOPEN_CACHE_DIR) !== 0;
  const h = dirs.of(nodeid, fh, shared);
  if (!h || h.nodeid !== nodeid) fail('EBADF', `dir handle ${fh}`);
  const [l, index] = listingAt(core, dirs, h, shared, offset, pid);
  // Entries before a refused lookup go out first; the request after them gets its errno.
  if (l.error !== undefined && index >= l.entries.length) fail(l.error, `${core.pathOf(core.rec(nodeid))}: a name the listing looks up is refused`);
  core.listingServed(nodeid, l.changesWhenImpure);
  // A handle-less listing read to its end is the kernel's now: its resolution is not needed again
  // (its entries are, for readers that go on from the kernel's cache: NODE_LISTINGS).
  if (shared && index >= l.entries.length) l.resolved = null;
  return from(core, nodeid, l, index);
}
