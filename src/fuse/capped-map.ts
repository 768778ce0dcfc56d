// A Map that forgets its oldest entries beyond a size: for caches the daemon can refill (an xattr
// read again), which must not grow with every object a long-lived mount ever saw. A daemon up for
// days under a create-and-delete workload kept ~110 bytes per file ever created until its heap ran
// out (a review, 2026-12-06). Oldest by first insertion: refilling an entry costs one read.
export class CappedMap<K, V> extends Map<K, V> {
  constructor(private readonly cap: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.cap) this.delete(this.keys().next().value as K);
    return this;
  }
}
