// The content hashes of an analysis: inode id → xxh64, kept as numbers (two u32 halves in one typed
// array indexed by the id: INODE_IDS' dense numbers). A Map of 118 800 ids to 16-hex-digit strings,
// and the strings, were what findDuplicates spent most of its time on (lookups, string compares)
// and 118 800 objects more for the GC; hex is made only for the hashes a report prints.

/** xxh64 halves of each hashed inode; ids never set are unknown. */
export class ContentHashes {
  /** [lo, hi] of id n at 2n, 2n + 1 */
  private words = new Uint32Array(0);
  /** 1 where the id has a hash */
  private known = new Uint8Array(0);
  /** ids with a hash */
  size = 0;

  /** `capacity`: ids below it need no growing (the caller knows the largest id to come). */
  constructor(capacity = 0) {
    if (capacity > 0) this.grow(capacity);
  }

  /** From [id, hex] pairs (hex of up to 16 digits, as the in-process path and tests give them). */
  static fromHex(pairs: Iterable<readonly [number, string]>): ContentHashes {
    const out = new ContentHashes();
    for (const [id, hex] of pairs) {
      const h = BigInt(`0x${hex}`);
      out.set(id, Number(h & 0xffffffffn), Number(h >> 32n));
    }
    return out;
  }

  set(id: number, lo: number, hi: number): void {
    if (id >= this.known.length) this.grow(id + 1);
    if (this.known[id] === 0) this.size++;
    this.known[id] = 1;
    this.words[2 * id] = lo;
    this.words[2 * id + 1] = hi;
  }

  has(id: number): boolean {
    return id < this.known.length && this.known[id] === 1;
  }

  /** Low 32 bits of a known id's hash. */
  lo(id: number): number {
    return this.words[2 * id]!;
  }

  /** High 32 bits of a known id's hash. */
  hi(id: number): number {
    return this.words[2 * id + 1]!;
  }

  /** Both ids hashed, to the same value. */
  same(a: number, b: number): boolean {
    return this.has(a) && this.has(b) && this.words[2 * a] === this.words[2 * b] && this.words[2 * a + 1] === this.words[2 * b + 1];
  }

  /** The hash as 16 hex digits (as xxhash-wasm's BigInt printed and padded), undefined when unknown. */
  hex(id: number): string | undefined {
    if (!this.has(id)) return undefined;
    return this.hi(id).toString(16).padStart(8, '0') + this.lo(id).toString(16).padStart(8, '0');
  }

  /** [id, hex] of every known id, by id. */
  entries(): Array<[number, string]> {
    const out: Array<[number, string]> = [];
    for (let id = 0; id < this.known.length; id++) if (this.known[id] === 1) out.push([id, this.hex(id)!]);
    return out;
  }

  private grow(min: number): void {
    let cap = this.known.length === 0 ? Math.max(min, 1024) : 2 * this.known.length;
    while (cap < min) cap *= 2;
    const words = new Uint32Array(2 * cap);
    words.set(this.words);
    const known = new Uint8Array(cap);
    known.set(this.known);
    this.words = words;
    this.known = known;
  }
}
