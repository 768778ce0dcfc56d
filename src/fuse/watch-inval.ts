// What a change made directly in a layer means for the caches of a mounted ovl-fuse: which
// dentries and inodes the kernel must drop (FUSE_NOTIFY_INVAL_ENTRY / _INODE) and which of the
// core's own cached resolutions to forget. A path inside a layer is the merged path of the same
// name, and also, when redirects are followed, the merged path of each held dir whose source in
// that layer it lies under (watch-redirects.ts). Notifications go to nodes the kernel holds only: a name it never looked up
// is resolved fresh anyway, so unrelated churn in a big layer costs one table lookup per event.
import { FAN_ATTRIB, FAN_CREATE, FAN_DELETE, FAN_MODIFY, FAN_MOVED_FROM, FAN_MOVED_TO, FAN_ONDIR } from '../sys/fanotify.js';
import { parseTarName } from '../format/index.js';
import type { NodeRec, NodeTable } from './node-table.js';
import type { Session } from './session/filesystem.js';
import type { ChangeBatch, LayerChange } from './watch.js';
import { type MovedSource, movedDirsOf } from './watch-redirects.js';
import type { NegativeNames } from './negative-names.js';

const ENTRY_EVENTS = FAN_CREATE | FAN_DELETE | FAN_MOVED_FROM | FAN_MOVED_TO;

export interface InvalTarget {
  table: NodeTable;
  session: Pick<Session, 'invalInode' | 'invalEntry'>;
  /**
   * Forget the core's own cached knowledge of merged `path` and what lies below it (its layer
   * hits, cached attributes, the mtime/size that decides keeping the page cache); null: all of it.
   * `node` is the kernel's node for it, when there is one; `layer` the layer that changed (0 is
   * the top), when known.
   */
  forget(path: string | null, node: NodeRec | undefined, layer?: number): void;
  /**
   * With redirects followed: the held dirs whose source in some layer lies at another path,
   * asked at most once per batch, and only for a change below the top layer (which no merged dir
   * is redirected into).
   */
  movedSources?(): MovedSource[];
  /** `-o aufs_whiteouts`: a layer-tar marker made or removed changes the name it whites out, or its dir (tar-whiteouts.ts). */
  tarWhiteouts?: boolean;
  /** The negative entries the kernel may hold, by parent (negative-names.ts). */
  negatives?: Pick<NegativeNames, 'take' | 'parents'>;
}

/** Counters of what the watcher told the kernel (for tests and the cost figures). */
export interface InvalStats {
  entries: number;
  inodes: number;
  fullDrops: number;
}

/** Turn one drained batch into invalidations; each entry or inode is told once per batch. */
export function applyChanges(batch: ChangeBatch, target: InvalTarget, stats?: InvalStats): void {
  if (batch.overflow) {
    dropEverything(target, new Told(target.session, stats));
    if (stats) stats.fullDrops++;
    return;
  }
  // Most drains during a create through the mount read only the daemon's own events.
  if (batch.changes.length === 0) return;
  const tell = new Told(target.session, stats);
  let moved: MovedSource[] | null = null;
  for (const given of batch.changes) {
    const change = target.tarWhiteouts === true ? tarMeaning(given) : given;
    applyOne(change, target, tell);
    if (change.layer === 0 || !target.movedSources) continue;
    moved ??= target.movedSources();
    for (const dir of movedDirsOf(change.layer, change.dir, moved)) applyOne({ ...change, dir }, target, tell);
  }
}

type Teller = Pick<Told, 'entry' | 'inode'>;

/**
 * What one batch told the kernel, so each entry or inode is told once. The sets are made on first
 * use and inodes are keyed by number: a batch is usually one change (a create's write) telling one
 * inode, and this runs once per event the daemon keeps.
 */
class Told {
  /** Inode ids told with their data (which covers their attributes too). */
  private data: Set<number> | null = null;
  /** Inode ids told for their attributes only. */
  private attrs: Set<number> | null = null;
  private entries: Set<string> | null = null;

  constructor(
    private readonly session: InvalTarget['session'],
    private readonly stats: InvalStats | undefined,
  ) {}

  entry(parent: NodeRec, name: string): void {
    const key = `${parent.id}/${name}`;
    if (this.entries?.has(key)) return;
    (this.entries ??= new Set()).add(key);
    this.session.invalEntry(parent.id, name);
    if (this.stats) this.stats.entries++;
  }

  // off -1: attributes only; off 0 and len -1: attributes and every cached page (file data, or a directory's listing).
  inode(node: NodeRec, withData: boolean): void {
    if (this.data?.has(node.id)) return;
    if (withData) (this.data ??= new Set()).add(node.id);
    else if (this.attrs?.has(node.id)) return;
    else (this.attrs ??= new Set()).add(node.id);
    this.session.invalInode(node.id, withData ? 0 : -1, withData ? -1 : 0);
    if (this.stats) this.stats.inodes++;
  }
}

/**
 * What a change of a layer-tar marker means: `.wh.NAME` made or removed is a change of NAME's
 * entry; `.wh..wh..opq` one of its dir's own (an opaque marker, as its xattr).
 */
function tarMeaning(change: LayerChange): LayerChange {
  if (change.name === null) return change;
  const t = parseTarName(change.name);
  if (t.kind === 'opaque') return { ...change, name: null };
  // The marker's own entry was never looked up (it is hidden): only the name it whites out.
  if (t.kind === 'whiteout') return { ...change, name: t.target, mask: change.mask & ~FAN_ONDIR };
  return change;
}

function applyOne(change: LayerChange, target: InvalTarget, tell: Teller): void {
  const dirNode = target.table.find(change.dir);
  if (change.name === null) {
    // The directory's own attributes or xattrs: an opaque marker set or removed changes which
    // lower names show, so the names held below it go too.
    target.forget(change.dir, dirNode, change.layer);
    if (!dirNode) return;
    tell.inode(dirNode, true);
    subtreeChanged(dirNode, target, tell);
    return;
  }
  const path = change.dir === '/' ? '/' + change.name : change.dir + '/' + change.name;
  const node = dirNode ? target.table.child(dirNode, change.name) : undefined;
  target.forget(path, node, change.layer);
  if (!dirNode) return;
  if ((change.mask & ENTRY_EVENTS) !== 0) {
    // The name now means something else (or nothing), and the parent's listing and mtime changed.
    tell.entry(dirNode, change.name);
    tell.inode(dirNode, true);
    if (node) tell.inode(node, true);
    // A dir made, removed or moved in a layer changes what every name below it merges.
    if (node?.isDir) subtreeChanged(node, target, tell);
    return;
  }
  if (!node) return;
  if ((change.mask & FAN_MODIFY) !== 0) tell.inode(node, true);
  if ((change.mask & FAN_ATTRIB) !== 0) {
    tell.inode(node, false);
    // An xattr can turn a file into a whiteout or a dir opaque: look the name up again.
    tell.entry(dirNode, change.name);
    if ((change.mask & FAN_ONDIR) !== 0) subtreeChanged(node, target, tell);
  }
}

/**
 * What merges below `dir` may have changed (an opaque marker, the dir made, removed or moved in a
 * layer): every name held below it, at any depth, and every negative entry there, is asked for
 * again at its next use. The entries are only expired (DevSession.invalEntry), which leaves what
 * lies below a name that still names the same node in the kernel's cache: each is told itself.
 */
function subtreeChanged(dir: NodeRec, target: InvalTarget, tell: Teller): void {
  const stack = [dir];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    for (const name of target.negatives?.take(d.id) ?? []) tell.entry(d, name);
    for (const [name, child] of d.children ?? []) {
      tell.entry(d, name);
      if (child.isDir) stack.push(child);
    }
  }
}

/** Events were lost: everything the kernel or the core holds may be stale, negative entries too. */
function dropEverything(target: InvalTarget, tell: Teller): void {
  target.forget(null, undefined);
  for (const node of target.table.all()) {
    tell.inode(node, true);
    for (const { parent, name } of target.table.names(node)) tell.entry(parent, name);
  }
  for (const id of target.negatives?.parents() ?? []) {
    const parent = target.table.get(id);
    const names = target.negatives!.take(id);
    if (parent) for (const name of names) tell.entry(parent, name);
  }
}
