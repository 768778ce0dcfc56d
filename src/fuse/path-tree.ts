// Which merged paths below a dir the core has cached something for. The lookup cache is two flat
// Maps keyed by path (dirs, and files by their dir); dropping a dir's subtree used to test every
// key of both, once for each dir invalidated: a `chmod -R` or `rm -rf` of n dirs copies up or
// removes each, which made it O(n²) in the cached dirs. This tree of path strings (the cached
// ones and the dirs between them and the root) gives the subtree by a walk of its own entries.

/** The dir holding absolute merged path `path`; null for '/'. */
function parentOf(path: string): string | null {
  if (path === '/') return null;
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export class PathTree {
  private readonly kids = new Map<string, Set<string>>();

  /** Note `path` (absolute) and every dir above it. */
  add(path: string): void {
    for (let p = path, parent = parentOf(p); parent !== null; p = parent, parent = parentOf(p)) {
      const set = this.kids.get(parent);
      if (set) {
        set.add(p);
        return; // `parent` is linked up to the root already
      }
      this.kids.set(parent, new Set([p]));
    }
  }

  /**
   * Forget `path` and every path below it; return those below. (A dir that is gone, or dropped
   * from the cache, would otherwise stay noted for the daemon's life.)
   */
  takeBelow(path: string): string[] {
    const out: string[] = [];
    const stack = [path];
    while (stack.length > 0) {
      const set = this.kids.get(stack.pop()!);
      if (!set) continue;
      for (const p of set) {
        out.push(p);
        stack.push(p);
      }
    }
    for (const p of [path, ...out]) this.kids.delete(p);
    const parent = parentOf(path);
    const siblings = parent === null ? undefined : this.kids.get(parent);
    siblings?.delete(path);
    if (siblings?.size === 0) this.kids.delete(parent!);
    return out;
  }

  clear(): void {
    this.kids.clear();
  }
}
