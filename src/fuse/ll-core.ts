// The state the node-based transport shares between its op families: the path-based overlay core,
// the node table that maps the kernel's node ids onto merged paths, the cache policy, and the
// session for notifications. Requests are served one at a time, so the caller is plain state.
import { statVfs } from '../sys/statvfs.js';
import { fail } from './errno.js';
import { childPath, splitPath } from './layers.js';
import { CachePolicy } from './ll-cache.js';
import { UpperLinks } from './ll-links.js';
import { IoModes } from './ll-passthrough.js';
import { atimeModeOf } from './read-atime.js';
import { InitFlag } from './protocol/constants.js';
import { handleAttr, nodeAttr } from './ll-attr.js';
import { type Node, lookupPath, topStat } from './lookup.js';
import { RemovedDirs } from './removed-dirs.js';
import { ReplacedFiles } from './replaced-files.js';
import { NegativeNames } from './negative-names.js';
import { xattrSnapshot } from './xattrs.js';
import { NodeTable, type NodeRec } from './node-table.js';
import type { Caller, CacheMode, Overlay } from './overlay.js';
import type { Attr, Entry, RequestContext, Session } from './session/filesystem.js';

const S_IFMT = 0o170000;
/** Longest attribute timeout of a lower file with other names (attrMs). */
const HARDLINK_MS = 1000;
const S_IFDIR = 0o040000;

const NO_ATTR: Attr = {
  ino: 0, size: 0, blocks: 0, atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0,
  ctimeSec: 0, ctimeNsec: 0, mode: 0, nlink: 0, uid: 0, gid: 0, rdev: 0, blksize: 0,
};

/** Before INIT (and in unit tests) nothing is cached by a kernel, so there is nothing to tell. */
export const NO_SESSION: Session = {
  invalInode() {},
  invalEntry() {},
  backingOpen: () => null,
  backingClose() {},
  watchFd() {},
  grantedFlags: 0n,
};

/**
 * A request for a node whose name is gone (unlinked, or replaced by a rename) and that no open
 * handle still reaches. The kernel's FUSE client sends one when the caller's path walk found the
 * node just before the name went: a reader of a file that a writer replaces by rename, as config
 * writers and package managers do. ESTALE has the VFS walk the path again with LOOKUP_REVAL (open,
 * stat, chmod, truncate, utimes and the xattr calls all retry once), which looks the name up afresh:
 * the file now under it, or ENOENT if none. ENOENT here failed 10-25 % of such ops where the
 * kernel's overlay, acting on the inode its dentry holds, failed none (a review, 2026-12-07).
 * A dir stays ENOENT: what reaches a gone dir mostly starts from it (a lookup under a held fd or
 * cwd, its listing, its fsync), and a walk again from the same dead dir gives the caller ESTALE
 * where ENOENT tells it the truth (a read-over); dirs replaced by rename showed no such race.
 */
export function nameGone(rec: Pick<NodeRec, 'id' | 'isDir'>): never {
  return fail(rec.isDir ? 'ENOENT' : 'ESTALE', `node ${rec.id} (its name is gone)`);
}

export class LlCore {
  readonly table = new NodeTable();
  readonly policy: CachePolicy;
  /** Which opens pass through to their upper file, per node (ll-passthrough.ts). */
  readonly io = new IoModes(true);
  /**
   * st_dev of the filesystems that refused a read that does not wait (RWF_NOWAIT: tmpfs, an
   * overlay): a handle opened on one is marked readsWait at its open (readFile), so that each
   * open of a small file does not pay a refused call first.
   */
  readonly readsWaitOn = new Set<number>();
  session: Session = NO_SESSION;
  private prefetchedDir = 0;
  private prefetched: Map<string, Node> | null = null;
  /** Nodes seen with nlink > 1 by overlay inode: the other names of a hard-linked file. */
  private readonly aliases = new Map<number, Set<NodeRec>>();
  /** The names of an upper file with other links, as one node (ll-links.ts). */
  readonly links: UpperLinks;
  /**
   * Files that lost one of several names (UNLINK, a rename over it), each with the thread that
   * removed it, until that thread's next request: the kernel's FUSE client can count such a
   * removal twice. Another client's GETATTR answered after the daemon's UNLINK reply brings the
   * new link count, and if the kernel applies it before the unlinking thread gets a CPU again,
   * that thread then takes one off it itself (fuse_entry_unlinked): 0 for a file left with one
   * name, and vfs_link refuses every link(2) of it ENOENT without asking while the kernel trusts
   * that count (20,000-70,000 failures in 2.5 s of link and unlink beside an opener, a review).
   * Until the thread sends anything else, and so has taken its one off, attributes of such a file
   * get no timeout (attrMs): the next permission check or stat asks again and mends the count.
   */
  private readonly linkDrops = new Map<NodeRec, number>();
  /**
   * Dirs the kernel may hold a listing of (handed over by READDIR since its last drop), and
   * whether one it was handed reads otherwise once the dir is impure (Listing.changesWhenImpure).
   */
  private readonly listingsHeld = new Map<number, boolean>();
  /**
   * Dirs whose listing drop was handed over without a wait since the kernel was last handed a
   * listing of them: once it lands the kernel holds none, so another drop would drop nothing more
   * (chmod -R sent one per entry of a listed dir, each a hand-off to the notifying thread).
   */
  private readonly dropsSent = new Set<number>();
  /**
   * Dirs whose listing the kernel's overlay reads live (Listing.live, readdir.ts): the kernel's
   * FUSE client serves a reader that started in its complete cached listing from it to the end,
   * changes or not, so the first change of their names after a listing was handed over drops it
   * (namesChanged).
   */
  private readonly liveListings = new Set<number>();
  /** The node a SETATTR being served answers with fresh attributes (0: none): its own need not go. */
  attrsInReply = 0;
  /** Dirs whose names the request being served changes (enter). */
  private namesIn = 0;
  private namesIn2 = 0;
  /** The sender of the request being served: new objects belong to it (Overlay.caller). */
  caller: Caller = { uid: 0, gid: 0 };
  /** Counts changes of a dir's names (a request that adds or removes one, a layer event): NodeRec.namesAt. */
  namesEpoch = 0;

  constructor(
    readonly ovl: Overlay,
    cache: CacheMode,
  ) {
    this.policy = new CachePolicy(cache);
    this.links = new UpperLinks(this.table, ovl, this.policy);
    this.replaced = new ReplacedFiles(ovl);
    this.table.onDrop = (rec) => {
      this.replaced.dropped(rec);
      this.negatives.dropped(rec.id);
      this.links.dropped(rec);
      this.io.dropped(this.session, rec);
      // A forgotten inode takes its cached listing with it; its id comes back with a new generation.
      this.listingsHeld.delete(rec.id);
      this.dropsSent.delete(rec.id);
      this.liveListings.delete(rec.id);
      this.removed.drop(rec.id);
      this.linkDrops.delete(rec);
    };
    ovl.onCopyUp = (path, parentNowImpure, listingMoved) => this.copiedUp(path, parentNowImpure, listingMoved);
    const upper = ovl.stack.upper;
    // The upper's mount decides when a read stamps atime, as under the kernel's overlay.
    if (upper) this.io.upperAtime = atimeModeOf(statVfs(upper.via ?? upper.root).flag);
  }

  /** What enter() and a READDIRPLUS keep of the request being served, to put back after another ran inside it (Session.meanwhile). */
  saveRequest(): () => void {
    const { caller, namesIn, namesIn2, attrsInReply, prefetchedDir, prefetched } = this;
    return () => {
      this.caller = caller;
      this.namesIn = namesIn;
      this.namesIn2 = namesIn2;
      this.attrsInReply = attrsInReply;
      this.prefetch(prefetchedDir, prefetched);
    };
  }

  /**
   * A request begins; `namesIn` (and `namesIn2`): the dirs whose names it adds or removes (0:
   * none). The kernel's FUSE client drops its cached listing of those itself (fuse_dir_changed).
   */
  enter(ctx: RequestContext, namesIn = 0, namesIn2 = 0): void {
    this.caller = ctx;
    if (this.linkDrops.size !== 0) for (const [rec, pid] of this.linkDrops) if (pid === ctx.pid) this.linkDrops.delete(rec);
    this.namesIn = namesIn;
    this.namesIn2 = namesIn2;
    if (namesIn !== 0) this.namesChanged(namesIn);
    if (namesIn2 !== 0) this.namesChanged(namesIn2);
  }

  /** Dir `nodeid`'s names change now (a request that may fail counts too: a listing's resolution is only a shortcut). */
  namesChanged(nodeid: number): void {
    const rec = this.table.get(nodeid);
    if (rec) rec.namesAt = ++this.namesEpoch;
    // A reader in the kernel's cached listing of a dir read live goes on from the daemon, which
    // leaves out what was removed (ll-dirs.ts from). The kernel itself only drops that listing
    // for the next reader from the start (fuse_dir_changed: the dir's version). The reply waits
    // for the drop: handed over without a wait, a getdents right after the unlink still read the
    // removed name from the old listing 6-16 % of the time (a review). Once per listing handed over.
    if (this.policy.mode !== 'never' && this.liveListings.has(nodeid) && this.listingsHeld.has(nodeid)) this.invalidate(nodeid, true, 0, -1, true);
  }

  /** Whether dir `nodeid`'s names changed after `epoch` (an earlier namesEpoch). */
  namesChangedSince(nodeid: number, epoch: number): boolean {
    return (this.table.get(nodeid)?.namesAt ?? 0) > epoch;
  }

  /** While a READDIRPLUS reply is filled: its lookups may take these resolved nodes (each once); null ends it. */
  prefetch(dir: number, nodes: Map<string, Node> | null): void {
    this.prefetchedDir = dir;
    this.prefetched = nodes;
  }

  /** The node the listing of `dir` resolved for `name`, if a READDIRPLUS of `dir` is being filled. */
  takePrefetched(dir: number, name: string): Node | undefined {
    if (dir !== this.prefetchedDir || !this.prefetched) return undefined;
    const node = this.prefetched.get(name);
    if (node) this.prefetched.delete(name);
    return node;
  }

  rec(id: number): NodeRec {
    return this.table.get(id) ?? fail('ESTALE', `node ${id}`);
  }

  /** Merged path of a node; ESTALE once its name is gone (only open handles still reach it: nameGone). */
  pathOf(rec: NodeRec): string {
    return this.nodePath(rec) ?? nameGone(rec);
  }

  /** Merged path of a node, or null once its names are gone (an upper file with links: its names checked, UpperLinks.path). */
  nodePath(rec: NodeRec): string | null {
    return this.links.path(rec);
  }

  childPathOf(parent: NodeRec, name: string): string {
    return childPath(this.pathOf(parent), name);
  }

  /** The reply for `name` in `parent` naming nothing; its timeout held in `negatives` for the watcher. */
  negative(parent: NodeRec, name: string): Entry {
    const entryValidMs = this.negatives.answer(parent.id, name, this.policy.negativeMs());
    return { nodeid: 0, generation: 0, entryValidMs, attrValidMs: 0, attr: NO_ATTR };
  }

  /** The reply for `name` in `parent` resolved to `node`: counts one lookup the kernel now holds. */
  entry(parent: NodeRec, name: string, node: Node): Entry {
    const attr = nodeAttr(this.ovl, node);
    if (!attr) return this.negative(parent, name);
    // A name that is an object of another type now (changed in a layer while mounted) gets a new
    // node: the kernel keeps one type per node id, and an inode whose id comes back with another
    // is made bad (fuse_stale_inode), so every later request through it failed with EIO.
    let had = this.table.child(parent, name);
    if (had !== undefined && had.fmt !== 0 && had.fmt !== (attr.mode & S_IFMT)) {
      this.table.detach(parent, name);
      had = undefined;
    }
    const rec = this.links.lookup(parent, name, node, attr.nlink, had);
    this.remember(rec, attr, node.hits[0]!.layer.upper);
    return {
      nodeid: rec.id,
      generation: rec.generation,
      entryValidMs: this.policy.entryMs(),
      attrValidMs: this.attrMs(rec),
      attr,
    };
  }

  /** The entry of a name just created through the mount. */
  created(parent: NodeRec, name: string): Entry {
    return this.entry(parent, name, lookupPath(this.ovl, this.childPathOf(parent, name)));
  }

  /** What the kernel now knows of `rec`; `upper`: its top object is in the upper layer. */
  remember(rec: NodeRec, attr: Attr, upper = true): void {
    rec.upper = upper;
    rec.ino = attr.ino;
    rec.nlink = attr.nlink;
    rec.fmt = attr.mode & S_IFMT;
    rec.isDir = rec.fmt === S_IFDIR;
    if (attr.nlink > 1 && !rec.isDir) {
      let set = this.aliases.get(attr.ino);
      if (!set) this.aliases.set(attr.ino, (set = new Set()));
      set.add(rec);
    }
  }

  /** Dirs removed while the kernel holds their node (removed-dirs.ts); dropped with the node. */
  readonly removed = new RemovedDirs();
  /** Names answered negative with a timeout, for the watcher to expire (negative-names.ts). */
  readonly negatives = new NegativeNames();
  /** Files replaced by a rename while the kernel holds their node (replaced-files.ts). */
  readonly replaced: ReplacedFiles;

  /**
   * RMDIR, or a rename over it, of dir `path`, whose node the kernel holds as `rec` (if it does):
   * what it is once removed, to keep (removed-dirs.ts) by calling the result after the removal.
   */
  dirRemoving(rec: NodeRec | undefined, path: string): (() => void) | undefined {
    if (rec === undefined || !rec.isDir) return undefined;
    try {
      const node = lookupPath(this.ovl, path);
      const st = topStat(node) ?? fail('ENOENT', path);
      return this.removed.prepare(rec.id, node, this.attrOfNode(rec, node, st), st, xattrSnapshot(this.ovl, node));
    } catch {
      // Not a dir any more, or gone: the removal answers for it.
      return undefined;
    }
  }

  /** Attributes of a node: its merged path, or an open handle once the name is gone. */
  attrOf(rec: NodeRec): Attr {
    const path = this.nodePath(rec);
    if (path !== null) return this.attrOfNode(rec, lookupPath(this.ovl, path));
    const removed = this.removed.get(rec.id);
    if (removed !== undefined) return removed.attr;
    const fh = this.handleOf(rec) ?? nameGone(rec);
    return handleAttr(this.ovl, fh);
  }

  /**
   * Attributes of a node from its merged path's resolution `node` (taken by the caller, who may
   * need its real objects too), and from `st` when the caller took the fresh stat itself.
   */
  attrOfNode(rec: NodeRec, node: Node, st = topStat(node)): Attr {
    const attr = nodeAttr(this.ovl, node, st) ?? fail('ENOENT', node.path);
    // The node's name holds an object of another type now (changed in a layer while mounted).
    // Its attributes would make the kernel mark this inode bad (fuse_do_getattr: wrong type, EIO
    // for every later request through it); the node lets the name go instead, and ESTALE makes
    // the caller's path walk look the name up again (LOOKUP_REVAL), which gives it a new node.
    if (rec.fmt !== 0 && (attr.mode & S_IFMT) !== rec.fmt) {
      if (rec.parent) this.table.detach(rec.parent, rec.name);
      fail('ESTALE', node.path);
    }
    this.remember(rec, attr, node.hits[0]!.layer.upper);
    return attr;
  }

  /** An open handle of a node whose name is gone (unlinked, O_TMPFILE), the only way to its file; else undefined. */
  unnamedHandle(rec: NodeRec): number | undefined {
    return this.nodePath(rec) === null ? this.handleOf(rec) : undefined;
  }

  /** Some open file handle on this node (for nodes whose name is gone); with `writable`, one open for writing. */
  handleOf(rec: NodeRec, writable = false): number | undefined {
    for (const fh of this.ovl.handles.onNode(rec.id)) if (!writable || this.ovl.handles.get(fh)!.writable) return fh;
    return undefined;
  }

  /**
   * How long the kernel may keep `rec`'s attributes. A hard-linked file's other names are other
   * kernel inodes whose times and size the kernel cannot know changed:
   *   - an upper one's, not at all while passthrough is on: I/O through one name never reaches
   *     the daemon, so it could not invalidate the others;
   *   - a lower one's (never written through the mount: a write copies one alias up apart, as
   *     the kernel does with index=off), at most HARDLINK_MS: the layer watcher names a change by
   *     the name it was made through, which may be another name of the inode, even outside the
   *     layers. Each read(2) asks for attributes once they expire (AUTO_INVAL_DATA), so a timeout
   *     of 0 here cost a GETATTR round trip per read: half the throughput of a warm 1 MiB read.
   */
  attrMs(rec: NodeRec): number {
    if (this.io.storesUnseen(rec) || (this.linkDrops.size !== 0 && this.linkDrops.has(rec))) return 0;
    if (rec.isDir || rec.nlink <= 1) return this.policy.attrMs(rec.isDir);
    if (rec.upper) return this.session.grantedFlags & InitFlag.PASSTHROUGH ? 0 : this.policy.attrMs(false);
    return Math.min(HARDLINK_MS, this.policy.attrMs(false));
  }

  /** The other names of a hard-linked node the kernel holds (itself included, or nothing). */
  aliasesOf(rec: NodeRec): Iterable<NodeRec> {
    return (rec.nlink > 1 && this.aliases.get(rec.ino)) || [];
  }

  /**
   * Hard-link aliases are separate nodes with one inode: when its link count or ctime changes
   * through one name, the kernel's cached attributes of the others are stale.
   */
  /** A node the kernel looked up with one link just got another name (LINK): index it as an alias. */
  linked(rec: NodeRec, attr: Attr): void {
    this.remember(rec, attr);
  }

  invalidateAliases(ino: number, except: NodeRec | null, data = false): void {
    if (this.policy.mode === 'never') return;
    const set = this.aliases.get(ino);
    if (!set) return;
    for (const rec of set) {
      // Forgotten, or no longer this inode (copied up apart): drop from the index.
      if (this.table.get(rec.id) !== rec || rec.ino !== ino) set.delete(rec);
      // Attributes go at once, before the reply: a client that fstats an fd on another name
      // right after link(2) returned must not read the old link count from the kernel's cache
      // (handed to the notifying thread, the invalidation came too late under load).
      else if (rec !== except) this.invalidate(rec.id, data);
    }
    if (set.size === 0) this.aliases.delete(ino);
  }

  /**
   * The session as the layer watcher tells it, between requests. An invalidation of attributes
   * only, or of a node whose opens pass through (no page cache to drop: reads and mmaps go to the
   * upper file), is written at once by the loop (Session.invalAttrs); one that must drop pages
   * goes through the notifying thread. A passthrough write through the mount is such an event
   * (FAN_MODIFY from the writer's pid) on every create-and-write, so this is the common case.
   */
  watchSession(): Pick<Session, 'invalInode' | 'invalEntry'> {
    return {
      invalEntry: (parent, name) => {
        this.namesChanged(parent);
        this.session.invalEntry(parent, name);
      },
      invalInode: (nodeid, off = 0, len = -1) => {
        const rec = this.table.get(nodeid);
        const attrsOnly = off < 0 || (rec !== undefined && !rec.isDir && this.io.passesThrough(rec));
        this.invalidate(nodeid, !attrsOnly, off, len);
      },
    };
  }

  /** `rec`, a file of several links, lost a name through the request being served (see linkDrops). */
  linkDropped(rec: NodeRec | undefined): void {
    const pid = this.caller.pid;
    if (rec === undefined || rec.isDir || rec.nlink <= 1 || !pid || this.table.get(rec.id) !== rec) return;
    // Bounded: a thread that removed a name and exited sends nothing more.
    if (this.linkDrops.size >= 1024) this.linkDrops.delete(this.linkDrops.keys().next().value!);
    this.linkDrops.set(rec, pid);
  }

  /** The daemon changed a node's attributes behind a reply that does not carry them (a mode dropped at WRITE). */
  attrsChanged(nodeid: number): void {
    if (this.policy.mode !== 'never') this.invalidate(nodeid, false);
  }

  /** READDIR handed the kernel (part of) dir `nodeid`'s listing; `changesWhenImpure` and `live` as Listing's. */
  listingServed(nodeid: number, changesWhenImpure: boolean, live: boolean): void {
    if (changesWhenImpure || !this.listingsHeld.has(nodeid)) this.listingsHeld.set(nodeid, changesWhenImpure);
    if (live) this.liveListings.add(nodeid);
    else this.liveListings.delete(nodeid);
    this.dropsSent.delete(nodeid);
  }

  /** A listing drop without a wait is due for dir `nodeid`: false if one is on its way already. */
  private firstDrop(nodeid: number): boolean {
    if (this.dropsSent.has(nodeid)) return false;
    this.dropsSent.add(nodeid);
    return true;
  }

  /** A copy-up switched a node's real object (a dir may become merged: nlink, listing). */
  private copiedUp(path: string, parentNowImpure: boolean, listingMoved: boolean): void {
    if (this.policy.mode === 'never') return;
    // Its upper parent got an entry (ctime; its times are put back). A listing the kernel holds
    // of it goes either way: the upper dir's ctime is now after its atime, so the kernel's next
    // readdir of it stamps the atime (relatime), and only a listing the daemon reads does that
    // here. The reply waits for that drop only where the listing reads otherwise: the object
    // moved in it or changed its st_ino, or the parent just became impure and a listing handed
    // over since the last drop lists an upper entry (d_ino, xattr whiteouts:
    // Listing.changesWhenImpure). Else it goes without a hand-off to wait for, once until the
    // kernel reads it again (its next readdir reaches the daemon either way): served from the cache
    // meanwhile, it is still right but for that atime. Where the kernel holds no listing (none
    // handed over since the last drop) only the attributes go.
    const parent = path === '/' ? undefined : this.table.find(splitPath(path)[0]);
    if (parent) {
      const held = this.listingsHeld.get(parent.id);
      const changed = held !== undefined && (listingMoved || (parentNowImpure && held));
      this.invalidate(parent.id, held !== undefined && (changed || this.firstDrop(parent.id)), 0, -1, changed);
    }
    const rec = this.table.find(path);
    if (!rec) return;
    // Its own listing shows the same names and d_ino right after, but its new upper copy has the
    // lower's times, which the kernel's next readdir stamps: a listing served from the kernel's
    // cache would miss that. So the reply waits for the drop (once per listed lower dir, at the
    // first copy-up in or of it: a rename, an xattr change, a write below it), except where the
    // kernel drops that listing itself (the request adds or removes a name in it; only once it
    // succeeds, so one that fails after its copy-up leaves the old race) and in a
    // SETATTR: `chmod -R` after a listing would pay a hand-off per dir (+25-30 % measured), and
    // there only that atime is owed.
    const listing = rec.isDir && this.listingsHeld.has(rec.id) && this.firstDrop(rec.id);
    const wait = listing && this.attrsInReply === 0 && rec.id !== this.namesIn && rec.id !== this.namesIn2;
    // A SETATTR's reply brings its attributes; dropping them here would only make the kernel
    // take that reply's with timeout 0 (attr_version moved) and ask again at the next access.
    if (listing || rec.id !== this.attrsInReply) this.invalidate(rec.id, listing, 0, -1, wait);
  }

  /** Drop the kernel's cached listing of dir `nodeid` before the request is answered (ll-dirs.ts take). */
  dropListing(nodeid: number): void {
    if (this.policy.mode !== 'never') this.invalidate(nodeid, true, 0, -1, true);
  }

  /**
   * Drop the kernel's attributes of node `nodeid`, and with `data` its cached data (pages from
   * `off`, `len` bytes; a dir's listing). The attributes are dropped at once, by the loop
   * (INVAL_INODE with a negative offset locks nothing in the kernel, so it is safe mid-request),
   * before the request this round answers; the pages, which may wait on a lock a queued request
   * holds, through the notifying thread. Both in
   * one notification from that thread raced the client's next request: a lower file rewritten
   * while mounted read back as its new data cut to the old size (a read takes i_size from the
   * still-valid attributes; the open had already dropped the pages).
   * With `beforeReply`, a directory's listing is dropped before the request is answered too
   * (Session.invalListing): the op changed it, and the caller's next opendir must not be served
   * the old one from the kernel's dir cache (a listing right after a lookup that made its dir
   * impure showed the old d_ino under load).
   */
  private invalidate(nodeid: number, data: boolean, off = 0, len = -1, beforeReply = false): void {
    // Only a drop the reply waited for is known to have landed: one handed over without a wait may
    // still be on its way when the next copy-up needs to know what the kernel holds.
    if (data && beforeReply) {
      this.listingsHeld.delete(nodeid);
      this.dropsSent.delete(nodeid);
    }
    if (beforeReply && data && this.session.invalListing && this.table.get(nodeid)?.isDir) {
      // The attributes at once too, should the listing's hand-off outlast its bound.
      this.session.invalAttrs?.(nodeid);
      return this.session.invalListing(nodeid);
    }
    if (!this.session.invalAttrs) return this.session.invalInode(nodeid, data ? off : -1, data ? len : 0);
    this.session.invalAttrs(nodeid);
    if (data) this.session.invalInode(nodeid, off, len);
  }
}

/**
 * A layer changed outside the mount at merged `path` (null: anywhere): drop the core's resolved
 * dirs and files there and below, and the node's open-time mtime/size, so the next open does not
 * keep a page cache the change made stale. `layer`: the one that changed, when known (0 is the top).
 */
export function forgetCached(core: LlCore, path: string | null, node: NodeRec | undefined, layer?: number): void {
  // A name may have come or gone in some lower copy of any merged dir (a redirect's source is not
  // under its merged name): the lower index starts over. It holds no upper names (the upper is
  // always asked), so a change there leaves it be: a client's write to a file it just created is one.
  if (layer === undefined || layer > 0 || !core.ovl.stack.upper) core.ovl.lowerIndex.changed();
  core.links.changed();
  if (path === null) {
    core.ovl.forgetAll();
    for (const rec of core.table.all()) rec.openMtimeNs = null;
    return;
  }
  core.ovl.invalidate(path);
  if (node) node.openMtimeNs = null;
}
