// The overlay2-style diff of one legacy `overlay` image layer against its parent's root, computed
// from the two full trees (the legacy driver keeps no diff on disk). Pure.
// A regular file whose inode equals the parent's at the same path is unchanged (the driver
// hard-linked it); every other entry type gets a fresh inode in every layer, so those are compared
// by metadata. Deleted paths become whiteouts at the top-most missing path; a directory that lost
// entries and keeps nothing from below becomes opaque instead (what `rm -rf D && mkdir D` means).
import type { DiffItem, Entry, LayerScan } from './types.js';
import { parentPath, comparePaths } from './paths.js';

function sameXattrs(a: Entry['xattrs'], b: Entry['xattrs']): boolean {
  if (a.length !== b.length) return false;
  return a.every(([n, v], i) => b[i]![0] === n && b[i]![1].equals(v));
}

/** Same content and metadata as seen through a mount (everything but the inode number and link count). */
export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.inode === b.inode;
  return (
    a.perm === b.perm &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    a.mtimeNs === b.mtimeNs &&
    (a.type === 'dir' || a.size === b.size) &&
    a.target === b.target &&
    a.rdev === b.rdev &&
    sameXattrs(a.xattrs, b.xattrs)
  );
}

type Reason = DiffItem['reason'];

/** Changed or added entries of `child`, by path. */
function changedEntries(parent: Map<string, Entry>, child: LayerScan): Map<string, Reason> {
  const changed = new Map<string, Reason>();
  for (const e of child.entries) {
    const p = parent.get(e.path);
    if (!p) changed.set(e.path, 'added');
    else if (!sameEntry(p, e)) changed.set(e.path, p.type === e.type && e.type !== 'file' ? 'metadata' : 'modified');
  }
  return changed;
}

/** Parent paths missing from the child whose directory still exists there as a directory. */
function deletions(parent: LayerScan, child: Map<string, Entry>): string[] {
  const out: string[] = [];
  for (const e of parent.entries) {
    if (child.has(e.path)) continue;
    const dir = parentPath(e.path);
    if (dir === '' || child.get(dir)?.type === 'dir') out.push(e.path);
  }
  return out;
}

/** Directories that lost entries and whose whole subtree is in the diff anyway: opaque is free there. */
function opaqueDirs(child: LayerScan, inDiff: Set<string>, deleted: readonly string[], parent: Map<string, Entry>): Set<string> {
  const candidates = new Set(deleted.map(parentPath).filter((d) => d !== '' && parent.get(d)?.type === 'dir'));
  const blocked = new Set<string>();
  for (const e of child.entries) {
    if (inDiff.has(e.path)) continue;
    for (let d = parentPath(e.path); d !== ''; d = parentPath(d)) blocked.add(d);
  }
  const out = new Set<string>();
  for (const d of [...candidates].sort()) {
    if (blocked.has(d) || !inDiff.has(d)) continue;
    let covered = false;
    for (let a = parentPath(d); a !== '' && !covered; a = parentPath(a)) covered = out.has(a);
    if (!covered) out.add(d);
  }
  return out;
}

function isUnder(path: string, dirs: Set<string>): boolean {
  for (let a = parentPath(path); a !== ''; a = parentPath(a)) if (dirs.has(a)) return true;
  return false;
}

/** The diff of `child` over `parent` (null: a base layer, whose diff is its whole tree). */
export function legacyDiff(parent: LayerScan | null, child: LayerScan): DiffItem[] {
  const item = (e: Entry, reason: Reason): DiffItem => ({ path: e.path, whiteout: false, entry: e, opaque: false, reason });
  if (parent === null) return child.entries.map((e) => item(e, 'added'));
  const parentMap = new Map(parent.entries.map((e) => [e.path, e]));
  const childMap = new Map(child.entries.map((e) => [e.path, e]));
  const changed = changedEntries(parentMap, child);
  const deleted = deletions(parent, childMap);
  const inDiff = new Set(changed.keys());
  // Every changed path and every whiteout needs its directories in the diff.
  for (const p of [...changed.keys(), ...deleted]) {
    for (let d = parentPath(p); d !== '' && !inDiff.has(d); d = parentPath(d)) {
      inDiff.add(d);
      changed.set(d, 'parent');
    }
  }
  const opaque = opaqueDirs(child, inDiff, deleted, parentMap);
  const items: DiffItem[] = [];
  for (const [path, reason] of changed) {
    items.push({ ...item(childMap.get(path)!, reason), opaque: opaque.has(path) });
  }
  for (const path of deleted) {
    if (opaque.has(parentPath(path)) || isUnder(path, opaque)) continue;
    items.push({ path, whiteout: true, entry: null, opaque: false, reason: 'deleted' });
  }
  return items.sort((a, b) => comparePaths(a.path, b.path));
}
