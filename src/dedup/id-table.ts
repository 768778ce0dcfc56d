// Sets and counters keyed by inode id (INODE_IDS' dense numbers 0, 1, 2, …), for the analysis'
// per-entry passes. A Set or Map of numbers hashes every key and grows by rehashing; ids are small
// consecutive integers, so an array indexed by them does the same with one load (hash-table
// lookups were the largest self time of the main thread's JavaScript on the bench root). Paged, so
// that a table of one container layer's inodes holds only the pages of those ids, not one slot for
// every inode of the root.
const PAGE_BITS = 12;
const PAGE = 1 << PAGE_BITS;
const MASK = PAGE - 1;

/** id → a 32-bit integer, 0 for an id never set. */
export class IdTable {
  private readonly pages: Array<Int32Array | undefined> = [];

  // Pages past the end are checked for, not read: a read out of bounds deoptimises the compiled
  // code of every caller that inlined it (IdSet.add, the collision stream, the tallies) once a run.
  get(id: number): number {
    const k = id >>> PAGE_BITS;
    const p = k < this.pages.length ? this.pages[k] : undefined;
    return p === undefined ? 0 : p[id & MASK]!;
  }

  set(id: number, value: number): void {
    const k = id >>> PAGE_BITS;
    let p = k < this.pages.length ? this.pages[k] : undefined;
    if (p === undefined) {
      // Fill the gap first: an array with holes falls back to a slower representation.
      while (this.pages.length < k) this.pages.push(undefined);
      this.pages[k] = p = new Int32Array(PAGE);
    }
    p[id & MASK] = value;
  }

  /** Add `n` to the id's value; answers the new value. */
  inc(id: number, n = 1): number {
    const v = this.get(id) + n;
    this.set(id, v);
    return v;
  }
}

/** A set of inode ids. */
export class IdSet {
  private readonly table = new IdTable();
  size = 0;

  has(id: number): boolean {
    return this.table.get(id) !== 0;
  }

  /** Add `id`; false when it was in the set already. */
  add(id: number): boolean {
    if (this.table.get(id) !== 0) return false;
    this.table.set(id, 1);
    this.size++;
    return true;
  }
}
