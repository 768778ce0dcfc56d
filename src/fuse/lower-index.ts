// Which lower copies of a merged directory hold a name: each lower copy's names read once
// (getdents, O_NOATIME), so a lookup lstats only the layers that have the name instead of every
// layer above the one that has it. The 500-lower stack then costs about what the 1-lower one does,
// and over one lower a name it does not hold (the free name each create looks up first) costs no lstat.
//
// Only lowers are indexed: the upper is what the daemon itself changes, so it is always asked (one
// lstat). Lowers change only from outside, which the layer watcher reports; an index is used only
// while the watcher runs, and any change it reports drops every index (lowers are meant not to
// change, so a rebuild is rare). With `watch=off` or `cache=never` every lookup asks every layer,
// as docs/fuse.md promises. A name the index lists is still lstat'ed and judged as before, so
// whiteouts, opaque dirs and redirects are decided exactly as without it: the index only skips
// layers that cannot answer (their lstat would say ENOENT).
import { readdirNoatime } from '../sys/dirents.js';
import type { Hit } from './lookup.js';

/** What one merged dir's lower copies hold, keyed by the dir's hit list (shared by its cached node). */
interface DirIndex {
  epoch: number;
  /** Lower-copy lstats that found nothing, while there is no index yet. */
  misses: number;
  /** Misses after which reading every lower copy pays off: one per copy (a full miss-through), plus size. */
  threshold: number;
  /** name → positions in the hit list (ascending) of the lower copies holding it; null until built. */
  names: Map<string, number | number[]> | null;
  /** A lower copy could not be read: this dir goes without an index. */
  failed: boolean;
}

/** The answer for a name no lower copy holds. */
const NONE: readonly number[] = [];
/** Names held in all indexes at most; past it they start over (a huge tree walk stays bounded). */
const MAX_NAMES = 1_000_000;
/** Bytes of directory (st_size) that cost about one lstat to read and parse. */
const DIR_BYTES_PER_LSTAT = 16384;

function lowerCount(hits: readonly Hit[]): number {
  return hits.length - (hits[0]?.layer.upper ? 1 : 0);
}

function thresholdOf(hits: readonly Hit[]): number {
  let bytes = 0;
  for (const h of hits) if (!h.layer.upper) bytes += Number(h.st.size);
  return lowerCount(hits) + Math.floor(bytes / DIR_BYTES_PER_LSTAT);
}

export class LowerIndex {
  /** Set while the layer watcher runs (and the cache mode allows it): see the header. */
  enabled = false;
  private epoch = 0;
  private dirs = new WeakMap<readonly Hit[], DirIndex>();
  private held = 0;
  /** Counters for tests and the profile figures. */
  readonly stats = { built: 0, fromListing: 0, dropped: 0 };

  /** A layer changed under the mount: every index may be stale. */
  changed(): void {
    this.epoch++;
    this.stats.dropped++;
    this.held = 0;
  }

  private entry(hits: readonly Hit[]): DirIndex {
    if (this.held > MAX_NAMES) {
      this.dirs = new WeakMap();
      this.held = 0;
    }
    let e = this.dirs.get(hits);
    if (!e || e.epoch !== this.epoch) {
      e = { epoch: this.epoch, misses: 0, threshold: thresholdOf(hits), names: null, failed: false };
      this.dirs.set(hits, e);
    }
    return e;
  }

  /**
   * The positions in `hits` of the lower copies that hold `name` (ascending; the upper, if any,
   * is not among them and is always searched), or null: no index, search every copy.
   */
  lookup(hits: readonly Hit[], name: string): number | readonly number[] | null {
    if (!this.enabled || lowerCount(hits) === 0) return null;
    const e = this.entry(hits);
    if (e.failed) return null;
    if (!e.names) {
      if (e.misses < e.threshold) return null;
      this.build(e, hits);
      if (!e.names) return null;
    }
    return e.names.get(name) ?? NONE;
  }

  /** A search without the index found nothing in `n` lower copies it lstat'ed. */
  missed(hits: readonly Hit[], n: number): void {
    if (!this.enabled || n === 0 || lowerCount(hits) === 0) return;
    this.entry(hits).misses += n;
  }

  /** A merged listing read every copy's names anyway (upper's first when it has one): keep them. */
  fromListing(hits: readonly Hit[], names: readonly (readonly string[])[]): void {
    if (!this.enabled || lowerCount(hits) === 0) return;
    const e = this.entry(hits);
    if (e.names || e.failed) return;
    e.names = this.collect(hits, (i) => names[i]!);
    this.stats.fromListing++;
  }

  private build(e: DirIndex, hits: readonly Hit[]): void {
    try {
      e.names = this.collect(hits, (i) => readdirNoatime(hits[i]!.real));
      this.stats.built++;
    } catch {
      // Gone or unreadable now: the lstats say what is there (the watcher drops this soon).
      e.failed = true;
    }
  }

  private collect(hits: readonly Hit[], namesAt: (i: number) => readonly string[]): Map<string, number | number[]> {
    const map = new Map<string, number | number[]>();
    for (let i = hits[0]?.layer.upper ? 1 : 0; i < hits.length; i++) {
      for (const name of namesAt(i)) {
        const seen = map.get(name);
        if (seen === undefined) map.set(name, i);
        else if (typeof seen === 'number') map.set(name, [seen, i]);
        else seen.push(i);
      }
    }
    this.held += map.size;
    return map;
  }
}
