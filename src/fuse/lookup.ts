// Lookup: merged path → the real objects that make it up. Upper first, then lowers top to
// bottom; same-name dirs merge until an opaque dir, a whiteout or a non-dir; a non-dir hides
// everything below it; a `redirect` on a dir sends the lower search to the redirected path.
// Resolved directories are cached (Overlay.dirs); files are looked up fresh on every call, so
// in-place and new-name changes in a lower show at once.
import {
  type Redirect,
  isCharWhiteout,
  mayBeXattrWhiteout,
  opaqueMeaning,
  dotRedirectPrefix,
  isInvalidRedirect,
  parseRedirect,
  xwhiteoutsMarkerRead,
} from '../format/index.js';
import { type RealStat, getXattr, hasXattr, listLayerXattrs, lstatAtOrNull, lstatReal, lstatRealOrNull } from '../sys/index.js';
import { fail } from './errno.js';
import { type Layer, childPath, realChild, realPath, splitPath } from './layers.js';
import { fixDirOrigin } from './origin-fix.js';
import { dataOnlyHit, isMetacopy } from './lookup-metacopy.js';
import { beneathMount, isMountRoot, throughMounts } from './submounts.js';
import type { Overlay } from './overlay.js';
import { isTarMarkerName, tarOpaqueIn, tarWhiteoutBeside } from './tar-whiteouts.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export interface Hit {
  layer: Layer;
  real: string;
  st: RealStat;
  /** For dirs: the layer's opaque marker (`xwhiteouts` only means something in a lower). */
  opaque: 'opaque' | 'xwhiteouts' | 'none';
  /** For dirs: the `protattr` value the markers' listxattr found (null: none), read for protect.ts. */
  protattr?: Buffer | null;
  /** For dirs: the copy carries an `impure` marker (its listxattr named one), see isMetacopy. */
  impure?: boolean;
}

/** One merged object: its real objects, top first. A dir has ≥ 1 dir hits; a non-dir exactly 1. */
export interface Node {
  path: string;
  hits: Hit[];
  isDir: boolean;
  /**
   * A metacopy file's data (metacopy.ts): the regular file below its top hit, found by name or by
   * the top's `redirect`, that holds the data the top's copy left behind. Undefined for any other.
   */
  data?: Hit;
  /**
   * A metacopy file's: the size of the first object below its top (ovl_path_lower, the data file
   * itself unless a metacopy file sits between), which is how much a data copy-up copies.
   */
  lowerSize?: bigint;
  /**
   * A metacopy file whose data a data-only layer holds (`lazy`: the kernel looks it up at the
   * first open, and until then guesses st_blocks), or should hold and does not (`missing`: stat
   * works, an open is ENOENT).
   */
  dataOnly?: 'lazy' | 'missing';
  /** The hits' stats were taken by this lookup (a cached dir's are not: re-stat before reporting). */
  fresh: boolean;
  /** Its append-only and immutable flags once protect.ts read them (kept with a cached dir). */
  prot?: number;
}

export function isDirStat(st: RealStat): boolean {
  return (st.mode & S_IFMT) === S_IFDIR;
}

/**
 * OPEN is only ever sent for a regular file: anything else at its real path is a layer changed
 * under the kernel's cached entry (a FIFO, whose open would hang the daemon). ESTALE has the VFS
 * look the name up again (LOOKUP_REVAL), which then finds what the layer holds now.
 */
export function refuseNonRegularOpen(st: RealStat, path: string): void {
  if ((st.mode & S_IFMT) !== S_IFREG) fail('ESTALE', path);
}

export function lstatOrNull(real: string): RealStat | null {
  return lstatRealOrNull(real);
}

/** A fresh stat of a node's top object: its lookup's own, or a new one for a cached node; null when it vanished. */
export function topStat(node: Node): RealStat | null {
  return node.fresh ? node.hits[0]!.st : lstatOrNull(node.hits[0]!.real);
}

/** A kernel whiteout (char 0/0) or an xattr whiteout (empty file carrying `overlay.whiteout`). */
export function isWhiteoutAt(ovl: Overlay, real: string, st: RealStat): boolean {
  if (isCharWhiteout(st)) return true;
  // Every entry of a listing or lookup passes here: a non-empty file is answered without turning
  // its bigint size into a number or making an object (both showed in the walk's profile).
  return st.size === 0n && mayBeXattrWhiteout({ mode: st.mode, size: 0 }) && hasXattr(real, ovl.xattrs.name('whiteout'));
}

/**
 * A place to look: layer and real path; `resolved` when a lookup below already followed its
 * redirects; `impureDir` when the dir copy it is in carries `impure` (lookup-metacopy.ts isMetacopy).
 */
type Candidate = [Layer, string, boolean?, boolean?];

/**
 * Where the search goes on below a dir carrying a redirect. Relative ("d"): beside it, in the
 * parent's copies further down. Absolute ("/a/b/y"): the path looked up from the root of the
 * layers below, component by component, so that the dirs on the way apply their own redirects,
 * whiteouts and opaque markers (as the kernel's ovl_lookup_layer does) — after a layer rotation a
 * path such as /a/b/y may lead through a dir renamed in an older layer.
 */
function redirectCandidates(ovl: Overlay, parent: Node, red: Redirect, below: number): Candidate[] {
  if (red.kind === 'relative') {
    return parent.hits.filter((h) => h.layer.index > below).map((h) => [h.layer, realChild(h.real, red.name), false, h.impure]);
  }
  const node = lowerDirAt(ovl, below, red.path, true);
  return node ? node.hits.map((h) => [h.layer, h.real, true]) : [];
}

/**
 * The dir an absolute redirect's search reaches at `path` (components) from the roots of the
 * lowers below layer `below`, each dir on the way applying its own redirects, whiteouts and opaque
 * markers; null where nothing, or no dir, is there. `fixOrigin` as for lookupChild.
 */
function lowerDirAt(ovl: Overlay, below: number, path: readonly string[], fixOrigin: boolean): Node | null {
  let node: Node | null = layerRoots(ovl, ovl.stack.lowers.filter((l) => l.index > below));
  if (node.hits.length === 0) return null;
  for (const name of path) {
    node = lookupChild(ovl, node, name, fixOrigin);
    if (!node?.isDir) return null;
  }
  return node;
}

interface Markers {
  opaque: Buffer | null;
  redirect: Buffer | null;
  /** The copy carries a `redirect`, read or not (redirect_dir=nofollow refuses such a dir). */
  hasRedirect: boolean;
  protattr: Buffer | null;
  impure: boolean;
}
const NO_MARKERS: Markers = { opaque: null, redirect: null, hasRedirect: false, protattr: null, impure: false };

/**
 * A dir copy's opaque marker, (when asked) its redirect, and in the upper its `protattr`. One
 * listxattr answers for the many copies that carry no xattrs at all (lower dirs mostly), where a
 * getxattr call per marker was made.
 */
function dirMarkers(ovl: Overlay, real: string, withRedirect: boolean, upper: boolean): Markers {
  const names = listLayerXattrs(real);
  if (names.length === 0) return NO_MARKERS;
  const opaque = ovl.xattrs.name('opaque');
  const redirect = ovl.xattrs.name('redirect');
  const protattr = ovl.xattrs.name('protattr');
  const hasRedirect = names.includes(redirect);
  return {
    opaque: names.includes(opaque) ? getXattr(real, opaque) : null,
    redirect: withRedirect && hasRedirect ? getXattr(real, redirect) : null,
    hasRedirect,
    protattr: upper && names.includes(protattr) ? getXattr(real, protattr) : null,
    impure: names.includes(ovl.xattrs.name('impure')),
  };
}

function dirHit(ovl: Overlay, layer: Layer, real: string, st: RealStat, markers: Markers): Hit {
  let meaning = opaqueMeaning(markers.opaque);
  // The layer-tar marker where the xattr says nothing (fuse-overlayfs reads it only then too).
  if (meaning === 'none' && ovl.cfg.aufsWhiteouts === true && tarOpaqueIn(real)) meaning = 'opaque';
  // opaque=x marks a lower dir holding xattr whiteouts; in the upper and the bottom lower it is ignored.
  const read = xwhiteoutsMarkerRead({ upper: layer.upper, lastLower: layer.index === ovl.stack.all.length - 1 });
  return { layer, real, st, opaque: meaning === 'xwhiteouts' && !read ? 'none' : meaning, protattr: markers.protattr, impure: markers.impure };
}

/**
 * Where to look for `name` in `parent`: every copy of the dir, or, when the lower index knows
 * (lower-index.ts), the upper copy and the lower copies that hold the name.
 */
function childCandidates(ovl: Overlay, parent: Node, name: string): Candidate[] {
  const only = ovl.lowerIndex.lookup(parent.hits, name);
  if (only === null) return parent.hits.map((h) => [h.layer, realChild(h.real, name), false, h.impure]);
  const out: Candidate[] = [];
  const top = parent.hits[0]!;
  if (top.layer.upper) out.push([top.layer, realChild(top.real, name), false, top.impure]);
  if (typeof only === 'number') {
    const h = parent.hits[only]!;
    out.push([h.layer, realChild(h.real, name), false, h.impure]);
  } else {
    for (const i of only) out.push([parent.hits[i]!.layer, realChild(parent.hits[i]!.real, name), false, parent.hits[i]!.impure]);
  }
  return out;
}

/**
 * Where a metacopy file's data is (ovl_lookup's walk on below a metacopy dentry): the regular file
 * at the same name in the layers below, or where the file's own `redirect` points (relative: in
 * its parent's copies below; absolute: from the root of the layers below), a metacopy file met on
 * the way sending the search on in turn. Without metacopy=on the kernel refuses to follow (EPERM)
 * once something is found below; with nothing found, or a whiteout, a dir or another type in the
 * way, the lookup fails EIO ("metacopy with no lower data found").
 */
function metacopyData(ovl: Overlay, parent: Node, name: string, top: Hit, below: Candidate[]): MetacopyData {
  let redirect = fileRedirect(ovl, parent, top);
  let cands = redirect?.cands ?? below;
  const path = childPath(parent.path, name);
  let lowerSize: bigint | null = null;
  let stopped = false;
  for (let i = 0; i < cands.length; i++) {
    const [layer, real] = cands[i]!;
    const st = lstatOrNull(layer.mounts.length === 0 ? real : throughMounts(layer, real));
    if (!st) continue;
    if (!ovl.cfg.metacopy) fail('EPERM', `${path}: refusing to follow metacopy origin`);
    if ((st.mode & S_IFMT) !== S_IFREG || isWhiteoutAt(ovl, real, st)) {
      stopped = true;
      break;
    }
    const hit: Hit = { layer, real, st, opaque: 'none' };
    lowerSize ??= st.size;
    if (!isMetacopy(ovl, real)) return { data: hit, lowerSize };
    // A metacopy file below (an older upper among the lowers): its own redirect leads on.
    const next = fileRedirect(ovl, parent, hit);
    if (next) {
      redirect = next;
      cands = next.cands;
      i = -1;
    }
  }
  // The normal layers end on a metacopy file with an absolute redirect: the data-only layers hold
  // its data (the kernel defers that lookup to the first open: ovl_maybe_lookup_lowerdata).
  if (!stopped && redirect?.absolute && ovl.stack.data.length > 0) {
    const data = dataOnlyHit(ovl, redirect.absolute);
    return data ? { data, lowerSize, dataOnly: 'lazy' } : { data: null, lowerSize, dataOnly: 'missing' };
  }
  return fail('EIO', `${path}: metacopy with no lower data found`);
}

interface MetacopyData {
  data: Hit | null;
  lowerSize: bigint | null;
  dataOnly?: 'lazy' | 'missing';
}

/**
 * The places a metacopy file's `redirect` sends its data search to, below its own layer, and the
 * path of an absolute one (for the data-only layers); null without one. Followed where dirs'
 * redirects are, and always on a mount with data-only layers (the kernel's check_redirect).
 */
function fileRedirect(ovl: Overlay, parent: Node, hit: Hit): { cands: Candidate[]; absolute: string[] | null } | null {
  if (!ovl.follow && ovl.stack.data.length === 0) return null;
  const value = getXattr(hit.real, ovl.xattrs.name('redirect'));
  const red = value === null ? null : parseRedirect(value);
  if (red === null) return null;
  const below = hit.layer.index;
  if (red.kind === 'relative') {
    return { cands: parent.hits.filter((h) => h.layer.index > below).map((h) => [h.layer, realChild(h.real, red.name)]), absolute: null };
  }
  const last = red.path[red.path.length - 1];
  if (last === undefined) return { cands: [], absolute: null };
  const node = lowerDirAt(ovl, below, red.path.slice(0, -1), false);
  return { cands: node ? node.hits.map((h) => [h.layer, realChild(h.real, last)]) : [], absolute: red.path };
}

/**
 * Look `name` up in the merged dir `parent`; null when it does not exist (or is whited out).
 * `fixOrigin` false: a listing's resolution, which the kernel does not make a lookup (readdir.ts).
 * `topFd`: the top copy of `parent` open (a listing reading it), to stat the name through.
 */
export function lookupChild(ovl: Overlay, parent: Node, name: string, fixOrigin = true, topFd = -1): Node | null {
  if (isTarMarkerName(ovl, name)) return null;
  const tar = ovl.cfg.aufsWhiteouts === true;
  const hits: Hit[] = [];
  let cands = childCandidates(ovl, parent, name);
  // Lower copies lstat'ed in vain: they tell the index when reading the dir once pays off.
  let misses = 0;
  for (let i = 0; i < cands.length; i++) {
    const [layer, cand, resolved] = cands[i]!;
    // At or below a mount point met in this layer: beneath it (submounts.ts).
    let real = layer.mounts.length === 0 ? cand : throughMounts(layer, cand);
    // The first place searched is the top copy's (a redirect's places come after it).
    let st = i === 0 && topFd >= 0 && real === cand && layer === parent.hits[0]!.layer ? lstatAtOrNull(topFd, name, real) : lstatOrNull(real);
    if (st !== null && isMountRoot(st)) {
      const beneath = beneathMount(layer, real);
      if (beneath !== null) {
        real = beneath;
        st = lstatOrNull(real);
      }
    }
    // `.wh.NAME` in this layer ends the search here, the name itself beside it or not.
    if (tar && tarWhiteoutBeside(real)) break;
    if (!st) {
      if (!layer.upper && !resolved) misses++;
      continue;
    }
    if (isWhiteoutAt(ovl, real, st)) break;
    const dir = isDirStat(st);
    if (!dir) {
      if (hits.length > 0) break;
      hits.push({ layer, real, st, opaque: 'none' });
      if ((st.mode & S_IFMT) === S_IFREG && (ovl.anyMetacopy || cands[i]![3] === true || st.blocks * 512 < st.size) && isMetacopy(ovl, real)) {
        const path = childPath(parent.path, name);
        const found = metacopyData(ovl, parent, name, hits[0]!, cands.slice(i + 1));
        const node: Node = { path, hits, isDir: false, fresh: true, lowerSize: found.lowerSize ?? found.data?.st.size ?? hits[0]!.st.size };
        if (found.data) node.data = found.data;
        if (found.dataOnly) node.dataOnly = found.dataOnly;
        ovl.lowerIndex.missed(parent.hits, misses);
        return node;
      }
      break;
    }
    const markers = dirMarkers(ovl, real, ovl.follow && !resolved, layer.upper);
    const hit = dirHit(ovl, layer, real, st, markers);
    hits.push(hit);
    if (hit.opaque === 'opaque') break;
    // A redirect the kernel reads (an opaque dir stopped above): a value it cannot parse fails
    // the lookup (EINVAL), following or not; not following (redirect_dir=nofollow, implied by
    // userxattr) any other is refused, not merged by name (ovl_check_nextredirect: "refusing to
    // follow redirect"), EPERM.
    if (markers.hasRedirect && (markers.redirect !== null || !ovl.follow) && redirectRead(ovl, parent, layer)) {
      const value = markers.redirect ?? getXattr(real, ovl.xattrs.name('redirect'));
      if (value !== null && isInvalidRedirect(value)) fail('EINVAL', `${childPath(parent.path, name)}: invalid redirect`);
      if (!ovl.follow) fail('EPERM', `${childPath(parent.path, name)}: refusing to follow redirect`);
    }
    // A `.` or `..` in it: the layer's lookup refuses it (EACCES) once the search gets there;
    // before that, or with nothing below to search, the dir is what it is above.
    const dots = markers.redirect ? dotRedirectPrefix(markers.redirect) : null;
    if (dots) {
      if (meetsDots(ovl, parent, dots, layer.index)) fail('EACCES', `${childPath(parent.path, name)}: redirect through . or ..`);
      cands = cands.slice(0, i + 1);
      continue;
    }
    // Even a dir with nothing below it by name may continue elsewhere: an absolute redirect
    // searches from the root's lowers (the kernel switches to the root stack too).
    const red = markers.redirect ? parseRedirect(markers.redirect) : null;
    if (red) cands = [...cands.slice(0, i + 1), ...redirectCandidates(ovl, parent, red, layer.index)];
  }
  ovl.lowerIndex.missed(parent.hits, misses);
  if (hits.length === 0) return null;
  const path = childPath(parent.path, name);
  if (hits.length > 1 && fixOrigin) fixDirOrigin(ovl, path, parent.hits[0]?.layer.upper ? parent.hits[0].real : undefined, hits);
  return { path, hits, isDir: isDirStat(hits[0]!.st), fresh: true };
}

/**
 * Whether the kernel reads the redirect of `layer`'s copy of a child of `parent` (ovl_lookup's
 * `d.last`). Following redirects: in the upper always, in a lower unless it is the bottom layer
 * (the search may go on below the parent's own copies). Not following: in the upper only when the
 * parent has a lower copy, in a lower unless it is the last of the parent's copies.
 */
function redirectRead(ovl: Overlay, parent: Node, layer: Layer): boolean {
  const last = parent.hits[parent.hits.length - 1]!.layer;
  if (layer.upper) return ovl.follow || !last.upper;
  return ovl.follow ? layer.index !== ovl.stack.all.length - 1 : layer.index < last.index;
}

/**
 * Whether the search below layer `below` for a redirect with a `.` or `..` component gets to that
 * component: a relative one at once in the next copy of the parent, an absolute one once its path
 * up to the component is found, a dir, in the layers below.
 */
function meetsDots(ovl: Overlay, parent: Node, dots: { absolute: boolean; prefix: string[] }, below: number): boolean {
  if (!dots.absolute) return parent.hits.some((h) => h.layer.index > below);
  return lowerDirAt(ovl, below, dots.prefix, false) !== null;
}

function rootNode(ovl: Overlay): Node {
  return layerRoots(ovl, ovl.stack.all);
}

/**
 * The root dir merged from `layers` (top first): every one of them. The kernel builds its root
 * from every layer's root (ovl_get_lowerstack) and an absolute redirect searches from each lower
 * root; an `opaque` marker on a layer root hides nothing (checked on 6.18), `opaque=x` keeps its
 * meaning for the names in it.
 */
function layerRoots(ovl: Overlay, layers: readonly Layer[]): Node {
  const hits: Hit[] = [];
  for (const layer of layers) {
    const root = layer.via ?? layer.root;
    const st = lstatReal(root);
    const hit = dirHit(ovl, layer, root, st, dirMarkers(ovl, root, false, layer.upper));
    // fuse-overlayfs reads a layer root's `.wh..wh..opq` as any dir's: the roots below add nothing.
    const tarOpaque = hit.opaque === 'opaque' && ovl.cfg.aufsWhiteouts === true && tarOpaqueIn(root);
    if (hit.opaque === 'opaque') hit.opaque = 'none';
    hits.push(hit);
    if (tarOpaque) break;
  }
  return { path: '/', hits, isDir: true, fresh: true };
}

/** The merged directory at `path` (cached); ENOENT / ENOTDIR as the kernel would answer. */
export function lookupDir(ovl: Overlay, path: string): Node {
  const cached = ovl.dirs.get(path);
  if (cached) return cached;
  let node: Node;
  if (path === '/') node = rootNode(ovl);
  else {
    const [parent, name] = splitPath(path);
    const found = lookupChild(ovl, lookupDir(ovl, parent), name);
    if (!found) fail('ENOENT', path);
    if (!found.isDir) fail('ENOTDIR', path);
    node = found;
  }
  rememberDir(ovl, node);
  return node;
}

/**
 * Keep a resolved dir for the lookups, listings and opens below it (its stats are taken again
 * before they are reported). Its parent is cached already, as invalidate() relies on.
 */
export function rememberDir(ovl: Overlay, node: Node): void {
  ovl.rememberDir({ ...node, fresh: false });
}

/**
 * Keep a child a listing resolved as its lookup would keep it (READDIRPLUS gives the kernel its
 * dentry, so its next request comes without a LOOKUP): a dir for the walk into it, a non-dir for
 * the next open or stat (cachedFile: one lstat instead of one per layer above it). A file is kept
 * only under a cached dir, whose invalidation drops it.
 */
export function rememberChild(ovl: Overlay, parent: Node, name: string, child: Node): void {
  if (child.isDir) return rememberDir(ovl, child);
  // A metacopy file's data hit is not in a FileRef: it is looked up again each time.
  if (ovl.dirs.has(parent.path) && !child.data && !child.dataOnly) rememberFile(ovl, parent.path, name, child.hits[0]!);
}

/** The merged object at `path`, or null when it does not exist (its parent must exist). */
export function lookupOrNull(ovl: Overlay, path: string): Node | null {
  if (path === '/') return lookupDir(ovl, '/');
  const cached = ovl.dirs.get(path);
  if (cached) return cached;
  const [parent, name] = splitPath(path);
  const dir = lookupDir(ovl, parent);
  const file = cachedFile(ovl, parent, name, path);
  if (file) return file;
  const node = lookupChild(ovl, dir, name);
  if (node?.isDir) rememberDir(ovl, node);
  else if (node && !node.data && !node.dataOnly) rememberFile(ovl, parent, name, node.hits[0]!);
  return node;
}

/** Bound on remembered files, so a huge tree walk cannot grow the daemon without limit. */
const MAX_FILES = 200_000;
let rememberedFiles = 0;

/**
 * Where a non-dir was found: its layer and real path, not its hit, whose stat (a record and two
 * bigints) would then live as long as the cache; a listing remembers every file it shows, and each
 * object kept is one more the young generation's scavenges copy.
 */
export interface FileRef {
  layer: Layer;
  real: string;
}

function rememberFile(ovl: Overlay, parent: string, name: string, hit: Hit): void {
  if (rememberedFiles >= MAX_FILES) {
    ovl.forgetFiles();
    rememberedFiles = 0;
  }
  ovl.filesIn(parent).set(name, { layer: hit.layer, real: hit.real });
  rememberedFiles++;
}

/**
 * A non-dir found before, still a non-dir at the same real path: skip the layer search (which is
 * one lstat per layer above it). Anything else falls back to a full lookup. Changes made through
 * the mount invalidate the entry; a lower changing under it behaves like a kernel dentry.
 */
function cachedFile(ovl: Overlay, parent: string, name: string, path: string): Node | null {
  const ref = ovl.files.get(parent)?.get(name);
  if (!ref) return null;
  const st = lstatOrNull(ref.real);
  if (!st || isDirStat(st) || isWhiteoutAt(ovl, ref.real, st)) {
    ovl.files.get(parent)?.delete(name);
    return null;
  }
  return { path, hits: [{ layer: ref.layer, real: ref.real, st, opaque: 'none' }], isDir: false, fresh: true };
}

/**
 * The node of a regular file just given its upper name at `real` (a copy-up), from the stat of
 * its fd: what a lookup would find now (an upper non-dir hides everything below it), without the
 * path walk, and remembered as a lookup would.
 */
export function upperFileNode(ovl: Overlay, path: string, real: string, st: RealStat): Node {
  const hit: Hit = { layer: ovl.stack.upper!, real, st, opaque: 'none' };
  const [parent, name] = splitPath(path);
  rememberFile(ovl, parent, name, hit);
  return { path, hits: [hit], isDir: false, fresh: true };
}

/** The merged object at `path`; ENOENT when it does not exist. */
export function lookupPath(ovl: Overlay, path: string): Node {
  return lookupOrNull(ovl, path) ?? fail('ENOENT', path);
}

/** The node as seen from the lowers only: does `name` exist below the upper in `parent`? */
export function existsInLower(ovl: Overlay, parent: Node, name: string): boolean {
  const lowerOnly: Node = { ...parent, hits: parent.hits.filter((h) => !h.layer.upper) };
  if (parent.hits[0]?.opaque === 'opaque' && parent.hits[0].layer.upper) return false;
  return lookupChild(ovl, lowerOnly, name) !== null;
}

/** Does a lower below `path`'s parent have its name (the kernel's ovl_lower_positive)? */
export function nameInLower(ovl: Overlay, path: string): boolean {
  const [parent, name] = splitPath(path);
  return existsInLower(ovl, lookupPath(ovl, parent), name);
}

/**
 * ovl_type_merge_or_lower for a dir: it has a lower part (merged, or lower only; for a dir copied
 * up, ovl_type_merge). Such a dir moves only with a redirect (ovl_can_move), and an upper-only dir
 * moved into it, or made in it, becomes opaque. Not the negation of isPureUpperDir: an upper dir
 * with an origin and no lower part (its lower gone) moves freely, yet may hold whiteouts (checked
 * on 6.18: with redirect_dir=off its rename needs no redirect, its rmdir clears its whiteout).
 */
export function hasLowerPart(node: Node): boolean {
  return node.hits.length > 1 || !node.hits[0]!.layer.upper;
}

/**
 * ovl_pure_upper for a dir: no lower part, and not one that may hold whiteouts (no origin: the
 * kernel's OVL_WHITEOUTS flag); whether it is opaque is no matter. rmdir and rename leave such a
 * dir to the upper's own rmdir(2)/rename(2), whose ENOTEMPTY counts a whiteout in it as an entry.
 * With aufs_whiteouts no dir is: any may hold layer-tar markers, hidden names that rmdir(2)
 * would count (tar-whiteouts.ts), so each is checked empty and cleared as a merged dir is.
 */
export function isPureUpperDir(ovl: Overlay, node: Node): boolean {
  return !hasLowerPart(node) && !isMergedDir(ovl, node) && ovl.cfg.aufsWhiteouts !== true;
}

/**
 * Is this dir merged for readdir (whiteouts filtered), as the kernel decides it? Also a dir with
 * one copy that carries an `origin`, in the upper or in a lower (ovl_get_inode's OVL_WHITEOUTS:
 * an upper reused as a lower holds copied-up dirs with whiteouts in them, which the kernel hides).
 */
export function isMergedDir(ovl: Overlay, node: Node): boolean {
  if (node.hits.length > 1) return true;
  return hasXattr(node.hits[0]!.real, ovl.xattrs.name('origin'));
}
