// The cookies of a dir's listings: the `off` of each entry, the position the next READDIR goes on
// from. The kernel keeps one dir cache per dir inode (FOPEN_CACHE_DIR), filled from the stream of
// whichever reader started it, and every reader of the dir looks its position up in that cache by
// cookie. A reader whose cookie is not there reads on from the daemon, except where the cache ends
// exactly at a page boundary: there fuse_readdir_cached (6.18) answers end-of-dir instead. When
// every listing had cookies of its own, a reader beside another one was cut short so (the rest of
// its listing never read: 1 listing in ~800 with two listers beside two writers, every time with
// two readers of a 128-entry dir at once). So a name keeps its cookie from one listing of the dir
// to the next, as an ext4 dir's hash cookies do, and a reader's position is found in any listing
// that still has its name.
//
// A family holds the order of every name listed in it, names gone since included (a reader that
// stopped at one goes on after its place), and each name's cookie. A new listing keeps the cookies
// of the heaviest run of its names that stand in the family's order, a name of the last listing
// outweighing all the names made again since together (a review saw a name that never changed
// lose its cookie to two re-created around it, and a reader then miss it), and gives the rest new
// ones, placed where the listing has them: a name made again on tmpfs comes first. A family that
// holds more gone names than live ones (plus SLACK), or has no ids left, makes way for a new one
// with a new generation.

/** Cookie = generation · INDEX_SPAN + id (id ≥ 1); under 2^53 for every generation. */
export const INDEX_BITS = 24;
export const INDEX_SPAN = 2 ** INDEX_BITS;
export const GENERATIONS = 2 ** (53 - INDEX_BITS) - 1;
/** Gone names a family keeps beyond as many as its newest listing has. */
const SLACK = 1024;

export class CookieFamily {
  /** The family's order: each name once per place it was listed at, with that place's id (null: ids 1..n, the first listing's). */
  private names: readonly string[];
  private ids: number[] | null = null;
  /** id → index in the order, name → its newest id; built at the first fold (a family read once needs neither). */
  private rankOf: Map<number, number> | null = null;
  private idOf: Map<string, number> | null = null;
  /** The last listing folded in: its names and ids (null: the first listing's, 1..n). */
  private lastNames: readonly string[];
  private lastIds: number[] | null = null;
  private nextId: number;

  /** A family whose first listing is `names`: their ids are 1..n in order. */
  constructor(
    readonly gen: number,
    names: readonly string[],
  ) {
    // Not copied: a listing's names are never changed after it is taken.
    this.names = this.lastNames = names;
    this.nextId = names.length + 1;
  }

  cookie(id: number): number {
    return this.gen * INDEX_SPAN + id;
  }

  /** Names held, gone ones included (what the family costs). */
  get size(): number {
    return this.names.length;
  }

  /** Where the name with `id` stands in the order, or undefined for an id never handed out. */
  rank(id: number): number | undefined {
    if (this.rankOf === null) return id >= 1 && id <= this.names.length ? id - 1 : undefined;
    return this.rankOf.get(id);
  }

  /**
   * The ids of a new listing's `names` (in its order), the order extended to take it; null when
   * the family is spent and a new one must start.
   */
  fold(names: readonly string[]): number[] | null {
    // The dir listed again unchanged (its cached listing dropped for a copy-up or an attribute):
    // the same ids, without the maps (a million names: ~1 s for the whole fold).
    if (sameNames(names, this.lastNames)) {
      this.lastNames = names;
      return this.lastIds ?? Array.from(names, (_, i) => i + 1);
    }
    this.index();
    const idOf = this.idOf!;
    const latest = this.lastIds === null ? null : new Set(this.lastIds);
    const heavy = names.length + 1;
    const ranks = new Array<number>(names.length);
    const weights = new Array<number>(names.length);
    for (let i = 0; i < names.length; i++) {
      const id = idOf.get(names[i]!);
      ranks[i] = id === undefined ? -1 : this.rankOf!.get(id)!;
      weights[i] = id !== undefined && (latest === null || latest.has(id)) ? heavy : 1;
    }
    const kept = heaviestRising(ranks, weights, this.names.length);
    let fresh = 0;
    for (let i = 0; i < names.length; i++) if (!kept[i]) fresh++;
    if (this.names.length + fresh > 2 * names.length + SLACK || this.nextId + fresh >= INDEX_SPAN) return null;
    const out: number[] = new Array(names.length);
    const order: string[] = [];
    const ids: number[] = [];
    let j = 0;
    for (let i = 0; i < names.length; i++) {
      if (kept[i]) {
        // Everything up to the kept name's place, gone names included, stays where it was.
        for (; j <= ranks[i]!; j++) order.push(this.names[j]!), ids.push(this.idAt(j));
        out[i] = ids[ids.length - 1]!;
      } else {
        out[i] = this.nextId++;
        order.push(names[i]!), ids.push(out[i]!);
        idOf.set(names[i]!, out[i]!);
      }
    }
    for (; j < this.names.length; j++) order.push(this.names[j]!), ids.push(this.idAt(j));
    this.lastNames = names;
    this.lastIds = out;
    this.names = order;
    this.ids = ids;
    this.rankOf = new Map();
    for (let k = 0; k < ids.length; k++) this.rankOf.set(ids[k]!, k);
    return out;
  }

  private idAt(k: number): number {
    return this.ids === null ? k + 1 : this.ids[k]!;
  }

  private index(): void {
    if (this.rankOf !== null) return;
    this.rankOf = new Map();
    this.idOf = new Map();
    for (let k = 0; k < this.names.length; k++) {
      this.rankOf.set(this.idAt(k), k);
      this.idOf.set(this.names[k]!, this.idAt(k));
    }
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Which of `ranks` (−1: none; each below `span`) form the strictly rising run of the greatest
 * total weight, in O(n log span): a Fenwick tree of the best run ending below each rank.
 */
export function heaviestRising(ranks: readonly number[], weights: readonly number[], span: number): boolean[] {
  const best = new Float64Array(span + 1);
  const endsAt = new Int32Array(span + 1).fill(-1);
  const prev = new Int32Array(ranks.length).fill(-1);
  let top = 0;
  let last = -1;
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i]!;
    if (r < 0) continue;
    let before = 0;
    for (let p = r; p > 0; p -= p & -p) if (best[p]! > before) (before = best[p]!), (prev[i] = endsAt[p]!);
    const mine = before + weights[i]!;
    for (let p = r + 1; p <= span; p += p & -p) if (mine > best[p]!) (best[p] = mine), (endsAt[p] = i);
    if (mine > top) (top = mine), (last = i);
  }
  const kept = new Array<boolean>(ranks.length).fill(false);
  for (let i = last; i >= 0; i = prev[i]!) kept[i] = true;
  return kept;
}
