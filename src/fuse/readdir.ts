// readdir: a merged dir lists its names in the kernel's order (mergedOrder), without whiteouts;
// a dir the kernel does not treat as merged lists straight from its one layer in that layer's
// getdents order (whiteouts included, as the kernel shows them). Every entry carries the stat the
// kernel would report, and the d_ino its listing shows (mergedDIno).
import { isCharWhiteout, isImpureValue, mergedListingDropsXattrWhiteout } from '../format/index.js';
import { type RealStat, dotDotIno, getXattr, lstatAtOrNull } from '../sys/index.js';
import { type NamesAndDots, listDirents, readdirNoatime, readdirNoatimeDots, withDirNames } from '../sys/dirents.js';
import { type FuseStat, fuseStat } from '../sys/fuse-native.js';
import { fail } from './errno.js';
import { errnoCodeOf } from '../errors.js';
import { inoOf, nlinkOf } from './inode.js';
import { realChild, splitPath } from './layers.js';
import { blocksOf } from './lookup-metacopy.js';
import { type Hit, type Node, isMergedDir, isWhiteoutAt, lookupChild, lookupDir, lstatOrNull, rememberChild, topStat } from './lookup.js';
import { ListingBuilder } from './listing-builder.js';
import { lacksDirOrigin } from './origin-fix.js';
import type { Overlay } from './overlay.js';

/**
 * What a listing shows for a name: the real object's stat with the overlay's inode number and
 * link count. Kept as it is, not as fuse-native's FuseStat: the node transport's listing reads
 * only the type and inode (READDIRPLUS's attributes come from the entry's own node), so the
 * conversion is made only where fuse-native asks for it.
 */
export interface Shown {
  st: RealStat;
  ino: bigint;
  nlink: number;
}

/** What a merged node shows (fresh stat of the top object); null when it vanished. */
function shownOf(ovl: Overlay, node: Node): Shown | null {
  const st = topStat(node);
  return st ? { st, ino: inoOf(ovl, node, st), nlink: nlinkOf(node, st) } : null;
}

/** Stat of a merged node as the kernel reports it, in fuse-native's form. */
export function nodeStat(ovl: Overlay, node: Node): FuseStat | null {
  const shown = shownOf(ovl, node);
  if (!shown) return null;
  const stat = fuseStat(shown.st, shown.ino, shown.nlink);
  if (node.data || node.dataOnly) stat.blocks = blocksOf(ovl, node, shown.st);
  return stat;
}

/**
 * Names in one layer's copy of a dir. The kernel never touches a lower's atime, but listing a dir
 * that has an upper updates the upper's atime (ovl_update_time), under the upper mount's relatime.
 */
function layerNames(hit: Hit): string[] {
  return hit.layer.upper ? listDirents(hit.real).map((e) => e.name) : readdirNoatime(hit.real);
}

/** layerNames, with the places of `.` and `..` (the lowest layer's give the merged listing's). */
function layerNamesDots(hit: Hit): NamesAndDots {
  return hit.layer.upper ? withDirNames(hit.real, true, (_fd, listed) => listed) : readdirNoatimeDots(hit.real);
}

/**
 * The names of a merged dir in the order kernel overlayfs lists them (ovl_dir_read_merged): the
 * lowest layer's names first, in its getdents order ("insert lowest layer entries before upper
 * ones, this allows offsets to be reasonably constant"), then the upper's and the middle lowers'
 * names not seen yet, top to bottom, each layer in its own getdents order. Each name comes with
 * the top-most layer copy that has it, which decides what is shown.
 */
export function mergedOrder(layers: Array<{ hit: Hit; names: string[] }>): Array<{ name: string; hit: Hit }> {
  const top = new Map<string, Hit>();
  for (const { hit, names } of layers) for (const name of names) if (!top.has(name)) top.set(name, hit);
  const out: Array<{ name: string; hit: Hit }> = [];
  const seen = new Set<string>();
  const lowest = layers[layers.length - 1];
  for (const { names } of lowest ? [lowest, ...layers.slice(0, -1)] : []) {
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, hit: top.get(name)! });
    }
  }
  return out;
}

/** Visible names of a merged dir, upper first, without duplicates or whiteouts. */
export function mergedNames(ovl: Overlay, node: Node): string[] {
  return scanNames(ovl, node, false).visible;
}

/**
 * rmdir's ovl_check_empty_dir: ENOTEMPTY when merged dir `node` shows a name; otherwise the names
 * its upper copy holds, all of them whiteouts then: the list rmdir clears (ovl_clear_empty), and
 * nothing else, even if more appears in the copy before it is removed. An xattr whiteout counts
 * as a name (lookup hides it): 6.18 answers ENOTEMPTY for one in an upper, in a lower, and in a
 * lower dir marked opaque=x whose listing drops it (ovl-check scenarios, docs/fuse.md).
 */
export function checkEmptyDir(ovl: Overlay, node: Node, path: string): string[] {
  const { visible, upper } = scanNames(ovl, node, true);
  if (visible.length > 0) fail('ENOTEMPTY', path);
  return upper;
}

function scanNames(ovl: Overlay, node: Node, emptiness: boolean): { visible: string[]; upper: string[] } {
  const top = new Map<string, Hit>();
  let upper: string[] = [];
  for (const hit of node.hits) {
    const names = readdirNoatime(hit.real);
    if (hit.layer.upper) upper = names;
    for (const name of names) if (!top.has(name)) top.set(name, hit);
  }
  // An internal check (rmdir's emptiness), not a listing: no atime is touched, as in the kernel.
  // A name is visible when lookup finds it: that applies whiteouts, opaque dirs and redirects alike.
  // The emptiness check writes no origin on a merged subdir (nor impure on this dir): the kernel's
  // ovl_check_empty_dir reads names and looks up no child (redirect seed 323: an rmdir that failed
  // ENOTEMPTY left origin and impure marks the kernel does not write).
  const visible: string[] = [];
  for (const [name, hit] of top) {
    // A name whose lookup the kernel refuses is a name all the same (ovl_check_empty_dir looks
    // none up): the dir is not empty.
    const found = lookupListed(ovl, node, name, !emptiness);
    if (found !== null || (emptiness && countedXattrWhiteout(ovl, hit, name))) visible.push(name);
  }
  return { visible, upper };
}

/** Is `name` in `hit` an xattr whiteout (a name the emptiness check counts)? */
function countedXattrWhiteout(ovl: Overlay, hit: Hit, name: string): boolean {
  const real = realChild(hit.real, name);
  const raw = lstatOrNull(real);
  return raw !== null && !isCharWhiteout({ mode: Number(raw.mode), rdev: Number(raw.rdev) }) && isWhiteoutAt(ovl, real, raw);
}

export interface Listing {
  names: string[];
  shown: Shown[];
  /** d_ino of each entry: its st_ino, except where the kernel shows the real inode (mergedDIno). */
  dIno: number[];
  /**
   * Names the kernel's listing leaves unresolved although looking them up writes an origin
   * (fixDirOrigin): READDIRPLUS offers no attributes for them, so the first stat is a LOOKUP.
   */
  unlooked: Set<string>;
  /**
   * Whether the listing would read otherwise once the dir's upper is marked impure: a merged dir
   * not impure yet that lists an entry of its upper (whose d_ino then becomes its st_ino, or an
   * xattr whiteout then hidden). A lower entry shows its st_ino either way, and so does an entry
   * copied up at the moment the dir becomes impure (its origin's inode): a copy-up into a dir whose
   * listed upper was empty leaves what the kernel cached of the listing right.
   */
  changesWhenImpure: boolean;
  /**
   * Where the kernel's getdents would fail (an entry whose lookup it makes, refused: a metacopy
   * file on a mount without metacopy, or with no data), with that errno: the listing ends there.
   */
  error?: string;
  /**
   * An upper dir the kernel does not merge: its overlay reads such a dir straight from the real
   * dir as a reader goes (ovl_iterate: iterate_dir of the real file), where a merged dir's reader
   * keeps the listing its open cached. A lower one cannot change under its reader.
   */
  live?: boolean;
}

/**
 * The errnos of a lookup the kernel refuses (metacopy rules; redirects it will not or cannot
 * follow): a listing plays them out as its getdents does, an emptiness check counts the name.
 */
const REFUSED = new Set(['EPERM', 'EIO', 'EINVAL', 'EACCES']);

/** lookupChild for a listing, or the errno of a lookup the kernel refuses there. */
function lookupListed(ovl: Overlay, node: Node, name: string, fixOrigin: boolean, dirFd = -1): Node | null | string {
  try {
    return lookupChild(ovl, node, name, fixOrigin, dirFd);
  } catch (err) {
    const code = errnoCodeOf(err);
    if (REFUSED.has(code)) return code;
    throw err;
  }
}

/** A listed name resolved: handed to READDIRPLUS, and kept for the request that comes for it next. */
function keepChild(ovl: Overlay, node: Node, name: string, child: Node, children?: Map<string, Node>): void {
  children?.set(name, child);
  rememberChild(ovl, node, name, child);
}

/**
 * A dir the kernel does not merge, in its layer's getdents order. The kernel looks its names up
 * only when it is an impure upper dir (ovl_dir_read_impure), all of them before the first is
 * emitted: one refused fails the listing. Otherwise a name whose lookup is refused is listed as it
 * is in its layer, as the kernel lists it without a lookup.
 */
function straightListing(ovl: Overlay, node: Node, self: Shown, parent: Shown, unlooked: Set<string>, children?: Map<string, Node>): Listing {
  const top = node.hits[0]!;
  const looksUp = top.layer.upper && isImpureValue(getXattr(top.real, ovl.xattrs.name('impure')));
  const built = new ListingBuilder();
  // Its names are stat'ed through the dir's fd, as the listing holds it open.
  const refused = withDirNames(top.real, top.layer.upper, (fd, listed) => {
    const { names, dots } = listed;
    // Where each dot goes: before the entry the name after it became (names listed in its place
    // may be left out: vanished, or a whiteout's name).
    let dot = 0;
    for (let i = 0; i < names.length; i++) {
      for (; dot < dots.length && dots[dot]![1] === i; dot++) dots[dot]![1] = built.seq;
      const name = names[i]!;
      const found = lookupListed(ovl, node, name, true, fd);
      if (typeof found === 'string' && looksUp) return found;
      const child = typeof found === 'string' ? null : found;
      if (child) keepChild(ovl, node, name, child, children);
      else if (typeof found === 'string') unlooked.add(name);
      let st = child ? shownOf(ovl, child) : null;
      if (!st) {
        // Refused, or a whiteout in a dir the kernel does not merge: listed as what it is.
        const real = realChild(top.real, name);
        const raw = lstatAtOrNull(fd, name, real);
        if (!raw || (typeof found !== 'string' && !isWhiteoutAt(ovl, real, raw))) continue;
        st = { st: raw, ino: ovl.inos.of(raw.ino, top.layer), nlink: raw.nlink };
      }
      // An upper dir that is not impure is read straight (ovl_iterate: iterate_dir of the real
      // dir): its entries keep their real inodes, a copy with an origin too, unless numbers are
      // mapped across filesystems (xino.ts), when the kernel recomputes every d_ino.
      const real = child !== null && top.layer.upper && !looksUp && ovl.inos.shift === 0;
      built.add(name, st, Number(real ? child.hits[0]!.st.ino : st.ino));
    }
    for (; dot < dots.length; dot++) dots[dot]![1] = built.seq;
    return dots;
  });
  if (typeof refused === 'string') return { names: [], shown: [], dIno: [], unlooked, changesWhenImpure: false, error: refused };
  return built.finish(refused, self, parent, unlooked);
}

/**
 * d_ino in a merged listing (readdir.c ovl_calc_d_ino, ovl_cache_update): with layers on one fs, an
 * upper entry keeps its real inode unless the upper dir is impure, when the kernel looks the name
 * up and shows its st_ino (the origin's inode for a merged dir); a lower entry shows its real
 * inode, which is its st_ino. With numbers mapped across filesystems (xino.ts) every entry shows
 * its st_ino, as the kernel recomputes every d_ino when it maps them.
 */
function mergedDIno(ovl: Overlay, hit: Hit, child: Node | null, st: Shown, impure: boolean): number {
  return Number(hit.layer.upper && !impure && child && ovl.inos.shift === 0 ? child.hits[0]!.st.ino : st.ino);
}

/**
 * What the root lists as `..`: the kernel looks up every other dir's parent for its d_ino (its
 * st_ino), but not the root's, which is its own parent; it lists the d_ino the top layer's
 * getdents gave `..`: the dir holding the upper dir (the top lower on a read-only mount). Checked
 * on 6.18 with each layer in a dir of its own (test/fuse/dotdot-ino.test.ts).
 */
function rootParent(ovl: Overlay, node: Node, self: Shown): Shown {
  const top = node.hits[0]!;
  const ino = dotDotIno(top.real);
  // Mapped with the top layer's filesystem when the layers span several (xino.ts), as the kernel's.
  return ino === null ? self : { ...self, ino: ovl.inos.of(ino, top.layer) };
}

/**
 * The full listing of the merged dir at `path` in the kernel's order (`.` and `..` where the
 * lowest layer's getdents had them); `children` receives the resolved node of each name
 * (READDIRPLUS answers its lookups from them).
 */
export function listDir(ovl: Overlay, path: string, children?: Map<string, Node>): Listing {
  const node = lookupDir(ovl, path);
  const self = shownOf(ovl, node) ?? fail('ENOENT', path);
  const parent = (path === '/' ? rootParent(ovl, node, self) : shownOf(ovl, lookupDir(ovl, splitPath(path)[0]))) ?? self;
  const unlooked = new Set<string>();
  if (!isMergedDir(ovl, node)) {
    const straight = straightListing(ovl, node, self, parent, unlooked, children);
    straight.live = node.hits[0]!.layer.upper;
    return straight;
  }
  const lowest = node.hits.length - 1;
  let dots: Array<[string, number]> = [];
  const layers = node.hits.map((hit, i) => {
    if (i !== lowest) return { hit, names: layerNames(hit) };
    const listed = layerNamesDots(hit);
    dots = listed.dots;
    return { hit, names: listed.names };
  });
  ovl.lowerIndex.fromListing(node.hits, layers.map((l) => l.names));
  // Only an impure upper makes the kernel look each upper name up while listing (and so fix origins).
  const upper = node.hits[0]!.layer.upper ? node.hits[0]!.real : undefined;
  const impure = upper !== undefined && isImpureValue(getXattr(upper, ovl.xattrs.name('impure')));
  // With numbers mapped across filesystems (xino.ts) the kernel looks every name up, lower ones
  // too (ovl_calc_d_ino): a refused lookup is hidden as in an impure dir, an xattr whiteout found
  // by none is not listed, and origins are fixed.
  const looksUpAll = ovl.inos.shift !== 0;
  let changesWhenImpure = false;
  // Every name of the lowest layer stays in its place (mergedOrder): a dot the lowest layer
  // listed before its k-th name goes before the entry that name became (or the next, if hidden).
  // A dot after the lowest layer's last name goes before the first name of another layer.
  const built = new ListingBuilder();
  const lowestCount = layers[lowest]!.names.length;
  let seen = 0;
  let dot = 0;
  for (const { name, hit } of mergedOrder(layers)) {
    if (seen <= lowestCount) {
      for (; dot < dots.length && dots[dot]![1] === seen; dot++) dots[dot]![1] = built.seq;
      seen++;
    }
    const found = lookupListed(ovl, node, name, impure || looksUpAll);
    if (typeof found === 'string') {
      // The kernel looks up only an impure dir's upper names; any other is listed as it is.
      if ((hit.layer.upper && impure) || looksUpAll) {
        built.refuse(found);
        continue;
      }
      const raw = lstatOrNull(realChild(hit.real, name));
      if (!raw) continue;
      unlooked.add(name);
      const ino = ovl.inos.of(raw.ino, hit.layer);
      built.add(name, { st: raw, ino, nlink: raw.nlink }, Number(ino));
      continue;
    }
    const child = found;
    // Not kept: the kernel's own LOOKUP of it must come here and write the origin then.
    if (child && !impure && !looksUpAll && lacksDirOrigin(ovl, upper, child.hits)) unlooked.add(name);
    else if (child) keepChild(ovl, node, name, child, children);
    const st = child ? shownOf(ovl, child) : looksUpAll ? null : xattrWhiteoutShown(ovl, hit, name);
    if (!st) continue;
    built.add(name, st, mergedDIno(ovl, hit, child, st, impure));
    if (hit.layer.upper && !impure && !looksUpAll) changesWhenImpure = true;
  }
  for (; dot < dots.length; dot++) dots[dot]![1] = built.seq;
  const listing = built.finish(dots, self, parent, unlooked);
  listing.changesWhenImpure = changesWhenImpure;
  return listing;
}

/**
 * An xattr whiteout the kernel still lists in a merged dir (mergedListingDropsXattrWhiteout: not
 * in an impure upper, nor in a lower dir marked opaque=x), with its real stat (its lstat through
 * the mount is ENOENT). Returns the entry to list, or null.
 */
function xattrWhiteoutShown(ovl: Overlay, hit: Hit, name: string): Shown | null {
  const upper = hit.layer.upper;
  const upperImpure = upper && isImpureValue(getXattr(hit.real, ovl.xattrs.name('impure')));
  if (mergedListingDropsXattrWhiteout({ upper, upperImpure, xwhiteoutsMarked: hit.opaque === 'xwhiteouts' })) return null;
  const real = realChild(hit.real, name);
  const raw = lstatOrNull(real);
  if (!raw || isCharWhiteout(raw) || !isWhiteoutAt(ovl, real, raw)) return null;
  return { st: raw, ino: ovl.inos.of(raw.ino, hit.layer), nlink: raw.nlink };
}

/** A listing's stats as fuse-native's readdir hands them to libfuse, with each entry's d_ino. */
export function listingStats(listing: Listing): FuseStat[] {
  return listing.shown.map((s, i) => ({ ...fuseStat(s.st, s.ino, s.nlink), ino: listing.dIno[i]! }));
}
