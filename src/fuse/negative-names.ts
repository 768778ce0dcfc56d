// The names the kernel may hold as negative dentries: each LOOKUP answered "no such name" with a
// timeout, per parent node, for as long as that timeout runs. The layer watcher expires them by
// name (FUSE_NOTIFY_INVAL_ENTRY with FUSE_EXPIRE_ONLY, which finds negative dentries too) when a
// change it cannot pin to a name may have made them appear: an opaque marker set or removed on a
// lower dir, a lower dir moved, events lost. Before the watcher only expired entries, it had the
// kernel d_invalidate() each positive dir dentry, which dropped the negative ones below it as well
// but also detached every mount on or below it (docs/fuse.md, "Mounts in the merged view").
//
// Bounded: past MAX_NAMES held, negative answers carry no timeout (the kernel asks again every
// time, as without the watcher) until older ones run out.

/** The most names held at once (~100 bytes each). */
const MAX_NAMES = 200_000;
/** While full, how often the names whose timeout ran out are looked for (a walk of all of them), ms. */
const PRUNE_EVERY_MS = 1000;

export class NegativeNames {
  /** parent node id → name → when its timeout runs out (ms, the clock's). */
  private readonly byParent = new Map<number, Map<string, number>>();
  private count = 0;
  private nextPrune = 0;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /**
   * The timeout to give a negative answer for `name` in `parent`, `ms` when it can be held
   * (then held until it runs out), 0 when too many are.
   */
  answer(parent: number, name: string, ms: number): number {
    if (ms <= 0) return 0;
    const now = this.clock();
    if (this.count >= MAX_NAMES && now >= this.nextPrune) {
      this.prune(now);
      this.nextPrune = now + PRUNE_EVERY_MS;
    }
    if (this.count >= MAX_NAMES) return 0;
    let names = this.byParent.get(parent);
    if (names === undefined) this.byParent.set(parent, (names = new Map()));
    if (!names.has(name)) this.count++;
    names.set(name, now + ms);
    return ms;
  }

  /** The names still held under `parent`; they are let go (the caller expires them in the kernel). */
  take(parent: number): string[] {
    const names = this.byParent.get(parent);
    if (names === undefined) return [];
    this.byParent.delete(parent);
    this.count -= names.size;
    const now = this.clock();
    return [...names].filter(([, until]) => until > now).map(([name]) => name);
  }

  /** Every parent with names held. */
  parents(): number[] {
    return [...this.byParent.keys()];
  }

  /** The kernel forgot `parent`: its negative dentries went with it. */
  dropped(parent: number): void {
    const names = this.byParent.get(parent);
    if (names === undefined) return;
    this.byParent.delete(parent);
    this.count -= names.size;
  }

  get size(): number {
    return this.count;
  }

  private prune(now: number): void {
    for (const [parent, names] of this.byParent) {
      for (const [name, until] of names) {
        if (until > now) continue;
        names.delete(name);
        this.count--;
      }
      if (names.size === 0) this.byParent.delete(parent);
    }
  }
}
