// The dir handles READDIR reads, and what they keep: an OPENDIR handle's own listing, or a dir's
// shared handle (fh 0 once the kernel does without OPENDIR, or an OPENDIR handle whose listings
// the kernel caches: every reader of the dir inode shares that one cache, so cookies must be the
// dir's, not the handle's) with the listings still read and the dir's cookie families.
import { InitFlag } from './protocol/index.js';
import type { LlCore } from './ll-core.js';
import type { Node } from './lookup.js';
import { type CookieFamily, GENERATIONS } from './dir-cookies.js';
import { FOPEN_CACHE_DIR, FOPEN_KEEP_CACHE, type DirEntry } from './session/filesystem.js';

/** One merged listing, as taken at a READDIR from offset 0. */
export interface Listing {
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
  /** Listing.live (readdir.ts): a name removed since it was taken is no longer read from it. */
  live: boolean;
  /** Listing.error: a READDIR from the end of `entries` on answers it. */
  error?: string;
  /** The thread that read it from 0, and its process once asked (−1: not yet, or gone). */
  pid: number;
  tgid: number;
  /** When a READDIR last read it (ms), for KEPT_MS; whether one read it to its end. */
  readAt: number;
  ended: boolean;
}

export interface DirHandle {
  nodeid: number;
  /** Shared by every reader of the dir (see the header): else one reader's, with one listing. */
  shared: boolean;
  /** Newest first: one for an OPENDIR handle; for a shared handle those still read (KEPT_MS). */
  listings: Listing[];
  /** The family its next listing is folded into. */
  family?: CookieFamily;
}

/**
 * Shared handles kept: those of the dirs read last, oldest dropped first, at most this many dirs
 * and KEPT_TOTAL entries (~100 bytes each). A listing read to its end is kept too: other readers
 * may be reading it through the kernel's dir cache, and go on with its cookies once the cache is
 * dropped (with 64 dirs, a reader in the middle of one lost it to a walk of 64 others).
 */
const NODE_LISTINGS = 1024;
const KEPT_TOTAL = 400_000;
/**
 * Cookie families kept for readers whose dir's listings are gone (a walk of more than
 * NODE_LISTINGS other dirs, or a pause of KEPT_MS): a fresh listing folded into the family goes
 * on after the reader's place. The oldest go once they hold more than this many names together.
 */
const FAMILY_NAMES = 400_000;

export class DirHandles {
  private readonly open = new Map<number, DirHandle>();
  private next = 1;
  /** Set once OPENDIR answered ENOSYS: fh 0 is then the kernel's one handle of every dir. */
  private handleless = false;
  private readonly byNode = new Map<number, DirHandle>();
  private gen = 0;
  /** Entries of the listings byNode's handles hold. */
  private keptEntries = 0;
  /** Shared handles' families by generation, the one used longest ago first, and their names. */
  private readonly families = new Map<number, { nodeid: number; family: CookieFamily }>();
  private familyNames = 0;

  /** A new OPENDIR handle of dir `nodeid`; `shared` when the kernel caches its listings. */
  add(nodeid: number, shared: boolean): number {
    while (this.open.has(this.next) || this.next === 0) this.next = (this.next + 1) >>> 0;
    const fh = this.next++;
    this.open.set(fh, { nodeid, shared, listings: [] });
    return fh;
  }

  remove(fh: number): void {
    this.open.delete(fh);
  }

  clear(): void {
    this.open.clear();
    this.byNode.clear();
    this.families.clear();
    this.keptEntries = this.familyNames = 0;
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
    this.keptEntries += entriesOf(listings) - entriesOf(h.listings);
    h.listings = listings;
    for (const old of this.byNode.values()) {
      if (this.keptEntries <= KEPT_TOTAL) break;
      if (old !== h) this.forget(old);
    }
  }

  /** Drop a shared handle with its listings (its families stay findable, FAMILY_NAMES). */
  private forget(h: DirHandle): void {
    this.keptEntries -= entriesOf(h.listings);
    this.byNode.delete(h.nodeid);
  }

  /** A new family's generation: none other the daemon made has it (until 2^29 more were made). */
  nextGen(): number {
    this.gen = (this.gen % GENERATIONS) + 1;
    return this.gen;
  }

  /** Dir `nodeid`'s `family` was just used, and holds `grown` names more than before. */
  keepFamily(nodeid: number, family: CookieFamily, grown: number): void {
    this.families.delete(family.gen);
    this.families.set(family.gen, { nodeid, family });
    this.familyNames += grown;
    for (const [gen, old] of this.families) {
      if (this.familyNames <= FAMILY_NAMES || old.family === family) break;
      this.families.delete(gen);
      this.familyNames -= old.family.size;
    }
  }

  /** Dir `nodeid`'s family of generation `gen`, if still kept. */
  family(nodeid: number, gen: number): CookieFamily | undefined {
    const kept = this.families.get(gen);
    return kept?.nodeid === nodeid ? kept.family : undefined;
  }

  /** The handle READDIR `fh` of dir `nodeid` reads: the dir's shared one (see the header), else the handle OPENDIR gave. */
  of(nodeid: number, fh: number): DirHandle | undefined {
    if (fh !== 0 || !this.handleless) {
      const own = this.open.get(fh);
      if (own === undefined || own.nodeid !== nodeid || !own.shared) return own;
    }
    let h = this.byNode.get(nodeid);
    if (h) this.byNode.delete(nodeid);
    else h = { nodeid, shared: true, listings: [] };
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
