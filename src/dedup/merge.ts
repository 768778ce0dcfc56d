// Stacking diffs the way overlayfs merges lowers: a whiteout removes a path and everything below
// it, an opaque directory hides what the layers below had inside it, a non-directory replaces
// whatever was there. Produces the tree a legacy `root/` would hold for that layer. Pure.
import type { DiffItem, Entry } from './types.js';
import { parentPath } from './paths.js';

/** A merged tree: entry per path, plus child-name sets so subtrees can be removed without a scan. */
export class MergedTree {
  readonly entries: Map<string, Entry>;
  protected readonly children: Map<string, Set<string>>;

  constructor(from?: MergedTree) {
    this.entries = new Map(from?.entries);
    this.children = new Map();
    if (from) for (const [k, v] of from.children) this.children.set(k, new Set(v));
  }

  // Hooks for a tree that keeps running totals as it changes (chained.ts): an entry comes or goes,
  // a name joins or leaves a directory. Nothing here: the plain tree keeps no totals.
  protected added(_path: string, _e: Entry): void {}
  protected removed(_path: string, _e: Entry): void {}
  protected named(_dir: string, _name: string, _on: boolean): void {}

  /** Names directly below `dir` ('' for the top). */
  namesIn(dir: string): string[] {
    return [...(this.children.get(dir) ?? [])];
  }

  /** Every path strictly below `path`. */
  pathsBelow(path: string): string[] {
    const out: string[] = [];
    const walk = (dir: string): void => {
      for (const name of this.children.get(dir) ?? []) {
        const child = dir ? `${dir}/${name}` : name;
        out.push(child);
        walk(child);
      }
    };
    walk(path);
    return out;
  }

  private drop(path: string): void {
    const e = this.entries.get(path);
    if (e === undefined) return;
    this.removed(path, e);
    this.entries.delete(path);
  }

  private removeBelow(path: string): void {
    const kids = this.children.get(path);
    if (!kids) return;
    for (const name of kids) {
      const child = path ? `${path}/${name}` : name;
      this.removeBelow(child);
      this.drop(child);
      this.named(path, name, false);
    }
    this.children.delete(path);
  }

  remove(path: string): void {
    this.removeBelow(path);
    this.drop(path);
    const dir = parentPath(path);
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (this.children.get(dir)?.delete(name)) this.named(dir, name, false);
  }

  set(path: string, entry: Entry): void {
    const dir = parentPath(path);
    let kids = this.children.get(dir);
    if (!kids) this.children.set(dir, (kids = new Set()));
    const name = path.slice(path.lastIndexOf('/') + 1);
    if (!kids.has(name)) {
      kids.add(name);
      this.named(dir, name, true);
    }
    const old = this.entries.get(path);
    if (old !== undefined) this.removed(path, old);
    this.entries.set(path, entry);
    this.added(path, entry);
  }

  /** Apply one layer's diff (items sorted by path, so a directory comes before its contents). */
  apply(items: readonly DiffItem[]): void {
    for (const item of items) {
      if (item.whiteout || item.entry === null) {
        this.remove(item.path);
        continue;
      }
      const old = this.entries.get(item.path);
      // Only a directory over a directory merges; anything else replaces the whole lower subtree.
      if (old && (old.type !== 'dir' || item.entry.type !== 'dir' || item.opaque)) this.removeBelow(item.path);
      this.set(item.path, item.entry);
    }
  }
}
