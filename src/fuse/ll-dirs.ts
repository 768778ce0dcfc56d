// READDIR on the node-based transport. The merged listing is taken at the first READDIR (not at
// OPENDIR: with the kernel's dir cache most opens never read) and afresh when a reader seeks back
// to 0 (rewinddir). When the kernel keeps every listing anyway (FOPEN_CACHE_DIR in this cache
// mode) and supports FUSE_NO_OPENDIR_SUPPORT, OPENDIR answers ENOSYS once and the kernel stops
// sending OPENDIR and RELEASEDIR (two round trips per opendir(3) of a cached dir, all a warm walk
// asked); its READDIRs then carry fh 0 and read the dir's shared handle (dir-handles.ts). A name
// keeps its cookie from one listing of a dir to the next (dir-cookies.ts): every reader of a dir
// the kernel caches finds its position by cookie in that one cache.
import { tgidOf } from './caller-creds.js';
import { CookieFamily, INDEX_SPAN } from './dir-cookies.js';
import type { DirHandle, DirHandles, Listing } from './dir-handles.js';
import { fail } from './errno.js';
import type { LlCore } from './ll-core.js';
import { realChild } from './layers.js';
import { type Node, lookupDir } from './lookup.js';
import { lstatRealOrNull } from '../sys/index.js';
import { listDir } from './readdir.js';
import { FOPEN_CACHE_DIR, type DirEntry, type Opened } from './session/filesystem.js';

/**
 * A shared handle's listings kept besides its newest: a process still in an older one goes on in
 * it. Every reader of a dir the kernel caches shares it, and each READDIR from offset 0 takes the
 * listing afresh (rewinddir must show what is there now). Kept while read in the last KEPT_MS, at
 * most KEPT_GENERATIONS of them and KEPT_ENTRIES entries together (each ~100 bytes).
 */
const KEPT_GENERATIONS = 32;
const KEPT_MS = 5000;
const KEPT_ENTRIES = 200_000;

export function openDir(core: LlCore, dirs: DirHandles, nodeid: number): Opened {
  // ENOENT / ENOTDIR now rather than at the first READDIR; a dir removed while held opens (empty).
  if (core.removed.get(nodeid) === undefined) lookupDir(core.ovl, core.pathOf(core.rec(nodeid)));
  if (dirs.goHandleless(core)) fail('ENOSYS', 'OPENDIR: the kernel keeps the listings (FUSE_NO_OPENDIR_SUPPORT)');
  const openFlags = core.policy.opendirFlags();
  return { fh: dirs.add(nodeid, (openFlags & FOPEN_CACHE_DIR) !== 0), openFlags };
}

/**
 * The dir's names now, with the cookies of `family` where it can keep them (a new family, from
 * DirHandles.nextGen, where there is none or it is spent); it becomes the handle's family.
 */
function snapshot(core: LlCore, dirs: DirHandles, h: DirHandle, family: CookieFamily | undefined, pid: number): Listing {
  const resolved = new Map<string, Node>();
  const takenAt = core.namesEpoch;
  // A dir removed while held lists nothing, not even its dots, as a removed dir does.
  const removed = core.removed.get(h.nodeid) !== undefined;
  const path = removed ? '' : core.pathOf(core.rec(h.nodeid));
  const listing: ReturnType<typeof listDir> = removed ? { names: [], shown: [], dIno: [], unlooked: new Set(), changesWhenImpure: false } : listDir(core.ovl, path, resolved);
  // Cookies past the index bits would name another family's entries: refused, not misread.
  if (listing.names.length >= INDEX_SPAN) fail('EOVERFLOW', `${path}: more than ${INDEX_SPAN - 1} names`);
  const before = family?.size ?? 0;
  const ids = family?.fold(listing.names) ?? null;
  if (ids === null) family = new CookieFamily(dirs.nextGen(), listing.names);
  h.family = family!;
  if (h.shared) dirs.keepFamily(h.nodeid, family!, ids === null ? family!.size : family!.size - before);
  const out: DirEntry[] = new Array(listing.names.length);
  for (let i = 0; i < listing.names.length; i++) {
    const name = listing.names[i]!;
    // d_type is the file type bits of the mode; `off` is the position after the entry: its cookie.
    out[i] = { name, ino: listing.dIno[i]!, type: (listing.shown[i]!.st.mode >> 12) & 0xf, off: family!.cookie(ids === null ? i + 1 : ids[i]!) };
    if (listing.unlooked.has(name)) out[i]!.noLookup = true;
  }
  const { changesWhenImpure, error } = listing;
  const live = listing.live === true;
  return { family: family!, entries: out, resolved, takenAt, changesWhenImpure, live, error, pid, tgid: -1, readAt: 0, ended: false };
}

/**
 * A new listing of the handle's dir, kept with those still read. Where another reader is in the
 * middle of a listing of other names, the kernel's cached listing is dropped first: that cache is
 * filled from one reader's stream, and a reader whose place (a name the cache lacks: made or
 * removed since) is not in it reads end-of-dir there when the cache ends on a page boundary
 * (fuse_readdir_cached, 6.18), where it should read on from the daemon; without the cache it does.
 */
function take(core: LlCore, dirs: DirHandles, h: DirHandle, family: CookieFamily | undefined, pid: number, now: number): Listing {
  const l = snapshot(core, dirs, h, family, pid);
  l.readAt = now;
  // An unshared OPENDIR handle has one reader: its old listing goes.
  if (!h.shared) h.listings = [l];
  else {
    if (h.listings.some((k) => !k.ended && now - k.readAt < KEPT_MS && core.namesChangedSince(h.nodeid, k.takenAt))) core.dropListing(h.nodeid);
    let kept = 0;
    const older = h.listings.filter((k, i) => i < KEPT_GENERATIONS && now - k.readAt < KEPT_MS && (kept += k.entries.length) <= KEPT_ENTRIES);
    dirs.relist(h, [l, ...older]);
  }
  return l;
}

/**
 * Of the listings of one family, the one the reader `pid` (a thread) goes on in: the one its
 * thread or, failing that, its process took (as its own open dir on the kernel's overlay), else
 * the newest, which is where the kernel's dir cache, filled by one reader, sends the others.
 */
function ownListing(ofFamily: Listing[], pid: number): Listing | undefined {
  if (ofFamily.length <= 1) return ofFamily[0];
  const same = ofFamily.find((k) => k.pid === pid);
  if (same) return same;
  // Node's fs.opendir, Go and others read a dir from whichever thread is free.
  const tgid = tgidOf(pid);
  if (tgid < 0) return ofFamily[0];
  for (const k of ofFamily) if ((k.tgid < 0 ? (k.tgid = tgidOf(k.pid)) : k.tgid) === tgid) return k;
  return ofFamily[0];
}

/**
 * The listing READDIR at cookie `offset` reads, and the index it starts at. From 0 the listing is
 * taken afresh. A later cookie goes on after its name's place in the family (ownListing); where
 * no listing of the family is kept, in a fresh one folded into the family, if the family is kept;
 * else (DirHandles: FAMILY_NAMES) at the cookie's id as an index, which a family's first listing's
 * cookies are.
 */
function listingAt(core: LlCore, dirs: DirHandles, h: DirHandle, offset: number, pid: number): [Listing, number] {
  const now = Date.now();
  if (offset === 0) return [take(core, dirs, h, h.family, pid, now), 0];
  const gen = Math.floor(offset / INDEX_SPAN);
  const id = offset % INDEX_SPAN;
  let l = ownListing(h.listings.filter((k) => k.family.gen === gen), pid);
  let rank = l?.family.rank(id);
  if (l === undefined || rank === undefined) {
    const family = h.family?.gen === gen ? h.family : h.shared ? dirs.family(h.nodeid, gen) : undefined;
    rank = family?.rank(id);
    l = take(core, dirs, h, rank === undefined ? h.family : family, pid, now);
    // A spent family gave way to a new one: the cookie's place is not in it.
    if (l.family !== family) rank = undefined;
  }
  l.readAt = now;
  return [l, rank === undefined ? Math.min(id, l.entries.length) : after(l, rank)];
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

/**
 * The loop looks up each entry it sends (READDIRPLUS) while it iterates: during the iteration,
 * and only then, those lookups take the listing's own resolution of the name instead of a second
 * layer search per name; not once a name of the dir changed after the listing was taken (an
 * unlink by another process between two READDIRs of one listing): its resolution would hand the
 * kernel an entry, valid for a minute, for a name that is gone.
 */
function* from(core: LlCore, nodeid: number, l: Listing, index: number, real: string | null): Generator<DirEntry> {
  const entries = l.entries;
  if (l.resolved !== null && core.namesChangedSince(nodeid, l.takenAt)) l.resolved = null;
  core.prefetch(nodeid, l.resolved);
  try {
    for (let i = index; i < entries.length; i++) {
      const e = entries[i]!;
      if (real === null || e.name === '.' || e.name === '..') {
        yield e;
        continue;
      }
      // Read live (Listing.live): a name removed since the listing was taken is not read on, and
      // one made anew shows its type now (find and fts trust d_type). Its d_ino stays the
      // listing's; READDIRPLUS looks each name up afresh anyway.
      const st = lstatRealOrNull(realChild(real, e.name));
      if (st === null) continue;
      const type = (st.mode >> 12) & 0xf;
      yield type === e.type ? e : { ...e, type };
    }
  } finally {
    core.prefetch(0, null);
  }
}

/**
 * The real dir to read listing `l` of `nodeid` on against: null where it is not read live, or its
 * names did not change since it was taken. A dir gone since (removed behind the mount: the
 * watcher dropped it) fails as the kernel's getdents of its real dir does, ENOENT; the listing
 * it had is not read on (a review saw all 432 names of a removed dir read).
 */
function liveDirOf(core: LlCore, nodeid: number, l: Listing): string | null {
  // A dir removed through the mount while held is removed-dirs.ts's to answer (its listings).
  if (!l.live || !core.namesChangedSince(nodeid, l.takenAt) || core.removed.get(nodeid) !== undefined) return null;
  const path = core.pathOf(core.rec(nodeid));
  return lookupDir(core.ovl, path).hits[0]!.real;
}

/** The entries from cookie `offset` on; the listing is read here, so its errors reach the reply. */
export function readDir(core: LlCore, dirs: DirHandles, nodeid: number, fh: number, offset: number, pid: number): Iterable<DirEntry> {
  const h = dirs.of(nodeid, fh);
  if (!h || h.nodeid !== nodeid) fail('EBADF', `dir handle ${fh}`);
  const [l, index] = listingAt(core, dirs, h, offset, pid);
  // Entries before a refused lookup go out first; the request after them gets its errno.
  if (l.error !== undefined && index >= l.entries.length) fail(l.error, `${core.pathOf(core.rec(nodeid))}: a name the listing looks up is refused`);
  const real = liveDirOf(core, nodeid, l);
  core.listingServed(nodeid, l.changesWhenImpure, l.live);
  if (index >= l.entries.length) {
    l.ended = true;
    // A shared listing read to its end is the kernel's now: its resolution is not needed again
    // (its entries are, for readers that go on from the kernel's cache: NODE_LISTINGS).
    if (h.shared) l.resolved = null;
  }
  return from(core, nodeid, l, index, real);
}
