// Upper hard links as one node. Kernel overlayfs gives every name of an upper file one inode
// (ovl_get_inode hashes it by the upper inode; ovl_link gives a new name the source's inode), and
// the VFS shows it: rename(2) between two of its names returns 0 before any permission check. So
// each name the kernel looks up of an upper file with other links joins one node, found by the
// upper file's dev:ino. Lower hard links stay apart (index=off: separate inodes in the kernel too).
// Names can change in the layers while mounted: a node with several names checks each before it
// is used, so it never acts on another file through a name that was replaced behind it.
import { errnoCodeOf } from '../errors.js';
import { objectKey } from './copy-up.js';
import { childPath } from './layers.js';
import { type Node, lookupOrNull } from './lookup.js';
import type { CachePolicy } from './ll-cache.js';
import type { NodeRec, NodeTable } from './node-table.js';
import type { Overlay } from './overlay.js';

export class UpperLinks {
  /** The node of each upper file looked up while it had other links, by dev:ino. */
  private readonly byKey = new Map<string, NodeRec>();
  /**
   * Bumped by each change the layer watcher reports. While it runs, a node whose names were
   * checked since the last one needs no check: changes through the mount keep the table right
   * themselves. (Without it every use checks: a stat of a hard-linked upper file, one GETATTR
   * under passthrough, cost 16 → 20 µs with a check of its two names each time.)
   */
  private epoch = 0;
  private readonly checked = new WeakMap<NodeRec, number>();

  constructor(
    private readonly table: NodeTable,
    private readonly ovl: Overlay,
    private readonly policy: CachePolicy,
  ) {}

  /** The layer watcher reported a change: names may be other files now. */
  changed(): void {
    this.epoch++;
  }

  /**
   * The node for `name` in `parent`, which resolved to `node` with `nlink` links, `had` the node
   * the table holds for that name (the caller's table.child): counts one lookup.
   */
  lookup(parent: NodeRec, name: string, node: Node, nlink: number, had: NodeRec | undefined): NodeRec {
    const top = node.hits[0]!;
    const tracked = had !== undefined && had.linkKey !== null;
    const key = top.layer.upper && !node.isDir && (nlink > 1 || tracked) ? objectKey(top.st) : null;
    // (A READDIRPLUS entry's stat is the listing's, taken at its first READDIR: looked at again
    // before the name leaves the file it was.)
    if (tracked && had.linkKey !== key && !this.isFile(node.path, had.linkKey)) {
      this.leave(had, parent, name);
    }
    if (key !== null && nlink > 1) this.join(parent, name, key);
    const rec = this.table.lookup(parent, name);
    if (key !== null) this.keep(rec, key);
    return rec;
  }

  /** A LOOKUP found nothing at `name`: if a node with other names held it, the name leaves it. */
  gone(parent: NodeRec, name: string): void {
    if (this.table.child(parent, name)?.others) this.table.detach(parent, name);
  }

  /** LINK made `rec`'s file (in the upper now, copied up if it was not) one of several names. */
  linked(rec: NodeRec): void {
    const path = this.path(rec);
    const node = path === null ? null : lookupOrNull(this.ovl, path);
    if (node?.hits[0]!.layer.upper && !node.isDir) this.keep(rec, objectKey(node.hits[0]!.st));
  }

  /** A node's merged path (null once its names are gone); one that is an upper file with links keeps only names still its file. */
  path(rec: NodeRec): string | null {
    if (rec.linkKey !== null && !(this.policy.watching && this.checked.get(rec) === this.epoch)) {
      this.recheck(rec);
      this.checked.set(rec, this.epoch);
    }
    return this.table.path(rec);
  }

  /** The node left the table. */
  dropped(rec: NodeRec): void {
    if (rec.linkKey !== null && this.byKey.get(rec.linkKey) === rec) this.byKey.delete(rec.linkKey);
  }

  /** `name` in `parent` is no longer `rec`'s file: a shared node lets it go; a node with that one name stays the name's. */
  private leave(rec: NodeRec, parent: NodeRec, name: string): void {
    if (rec.others !== null) return void this.table.detach(parent, name);
    this.dropped(rec);
    rec.linkKey = null;
  }

  /**
   * `name` in `parent` joins the node of upper file `key`, if one is held and still is that file,
   * and the name has no node of its own: one the kernel held alone before the file gained a link
   * outside the mount keeps it (two kernel inodes for one file then, as before links were shared),
   * as taking it would leave that node without a name for its next request.
   */
  private join(parent: NodeRec, name: string, key: string): void {
    const held = this.byKey.get(key);
    if (!held || this.table.get(held.id) !== held || this.table.child(parent, name) !== undefined) return;
    // Checked by a name: its inode number may belong to another file by now.
    const path = this.path(held);
    if (path !== null && this.isFile(path, key)) this.table.attach(held, parent, name);
  }

  private keep(rec: NodeRec, key: string): void {
    if (rec.linkKey !== key) this.dropped(rec);
    rec.linkKey = key;
    this.byKey.set(key, rec);
  }

  /** Every name of `rec` that no longer is its file (replaced or removed in the upper while mounted) leaves it. */
  private recheck(rec: NodeRec): void {
    for (const { parent, name } of [...this.table.names(rec)]) {
      const dir = this.table.path(parent);
      if (dir === null || !this.isFile(childPath(dir, name), rec.linkKey)) this.table.detach(parent, name);
    }
  }

  private isFile(path: string, key: string | null): boolean {
    let node: Node | null;
    try {
      node = lookupOrNull(this.ovl, path);
    } catch (err) {
      // A dir on the way is gone, or no dir any more.
      if (errnoCodeOf(err) === 'ENOENT' || errnoCodeOf(err) === 'ENOTDIR') return false;
      throw err;
    }
    const top = node?.hits[0];
    return top !== undefined && top.layer.upper && !node!.isDir && objectKey(top.st) === key;
  }
}
