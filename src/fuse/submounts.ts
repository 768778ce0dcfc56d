// Mount points inside a layer. Kernel overlayfs looks names up in each layer's dentry tree
// (lookup_one), which never crosses a mount point: a filesystem mounted on a dir inside a lower
// or the upper does not show through the overlay, the dir beneath it does. A path walk crosses
// it, so the core's real paths would reach the mounted filesystem instead; and when the overlay's
// own mount point lies inside a layer (lowerdir=/ with the mount under it) a lookup of that dir
// would stat the daemon's own mount from its only thread and wait for itself forever.
//
// So each stat of a name found in a layer is checked for STATX_ATTR_MOUNT_ROOT (statx reports it
// on every call: no extra syscall), and a mount root inside a layer is reached instead through a
// clone of the layer's mount that holds no submounts (open_tree without AT_RECURSIVE, as the
// kernel's clone_private_mount), at `/proc/self/fd/N/<path in the layer>`; names below inherit
// that path from their parent's. The overlay's own mount point is registered before any lookup
// (it must never be stat'ed by path), and an upper with mount points inside is reached wholly
// through a clone (placeLayers). Layers without mount points inside pay one bit test per stat.
// A copy of the overlay's own mount that mount propagation puts inside a lower is met by a stat
// that does not ask the daemon (statWithoutSync, for layers on local filesystems) and then read
// beneath like any other mount root. Not followed: a mount made inside a lower after a lookup
// resolved the dir it covers, or inside the upper after the start.
import { OvlError, errnoCodeOf } from '../errors.js';
import { type RealStat, mountOf, onLocalFilesystem, statWithoutSync } from '../sys/index.js';
import { longPath } from '../sys/long-path.js';
import { cloneMountNoatime, guardedClone } from '../sys/mount-clone.js';
import { type Covered, type Layer, type LayerStack, inside, realPath } from './layers.js';

/** include/uapi/linux/stat.h: the object is the root of a mount. */
const STATX_ATTR_MOUNT_ROOT = 0x2000;

export function isMountRoot(st: RealStat): boolean {
  return (st.attributes & STATX_ATTR_MOUNT_ROOT) !== 0;
}

/** The path of `full` below real path `prefix` ('/a/b', '' for `prefix` itself), or null when not below it. */
function relTo(prefix: string, full: string): string | null {
  if (!full.startsWith(prefix)) return null;
  if (full.length === prefix.length) return '';
  // A root of '/' has its names as '//a' (root + merged path): the rest still starts with '/'.
  return full[prefix.length] === '/' ? full.slice(prefix.length) : null;
}

/** The path of `real` inside its layer ('/a/b', '' for the layer's root), or null when it is not in it. */
export function pathInLayer(layer: Layer, real: string): string | null {
  const full = longPath(real);
  // via before clone: a guarded lower's clone is its via without the trailing "/."
  for (const prefix of [layer.root, layer.via, layer.clone]) {
    const rel = prefix === null ? null : relTo(prefix, full);
    if (rel !== null) return rel;
  }
  return null;
}

/**
 * The lower layer's clone path, made on first use; null when the kernel refuses one (no
 * CAP_SYS_ADMIN). It stamps no atime (cloneMountNoatime), as the kernel's lower mounts.
 */
function cloneOf(layer: Layer): string | null {
  if (layer.clone === null) {
    let fd: number;
    try {
      const made = cloneMountNoatime(layer.via ?? layer.root);
      fd = made.fd;
      layer.cloneNoatime = made.noatime;
    } catch (err) {
      if (errnoCodeOf(err) === 'EPERM') return null;
      throw err;
    }
    layer.clone = `/proc/self/fd/${fd}`;
  }
  return layer.clone;
}

function remember(layer: Layer, rel: string): void {
  if (!layer.mounts.includes(rel)) layer.mounts.push(rel);
}

/**
 * Lower object `real` reached through the layer's clone, where reading it stamps no atime; null
 * when no clone can be had or `real` is not in the layer.
 */
export function withoutAtime(layer: Layer, real: string): string | null {
  const rel = pathInLayer(layer, real);
  if (rel === null) return null;
  const clone = cloneOf(layer);
  return clone === null || !layer.cloneNoatime ? null : clone + rel;
}

/**
 * `real` (found to be a mount root by its stat) as reached beneath the mount; null when it is
 * the layer's own root, not inside this layer, or no clone can be had (then the walk crosses,
 * as before: the mounted filesystem shows).
 */
export function beneathMount(layer: Layer, real: string): string | null {
  // The upper is either wholly beneath (placeLayers) or not at all: see there.
  if (layer.upper) return null;
  const rel = pathInLayer(layer, real);
  if (rel === null || rel === '') return null;
  const clone = cloneOf(layer);
  if (clone === null) return null;
  remember(layer, rel);
  return clone + rel;
}

/**
 * A real path built from the layer's root (`root + merged path`, the upper's paths for new
 * names) mapped through the clone when it is, or is below, a mount point met or registered.
 */
export function throughMounts(layer: Layer, real: string): string {
  if (layer.mounts.length === 0) return real;
  // Only a path built from the plain root is mapped (one through the clone is beneath already).
  const rel = relTo(layer.root, longPath(real));
  if (rel === null) return real;
  for (const m of layer.mounts) {
    if (rel === m || (rel.startsWith(m) && rel[m.length] === '/')) return realPath(layer.clone!, rel);
  }
  return real;
}

/**
 * The path of dir `rel` ('' or '/a/b') below the dir open as `fd`. For the fd's own dir, a
 * trailing '/.': calls that do not follow a last symlink (lstat, llistxattr: each lookup makes
 * them) would otherwise answer for the magic link itself, not for the dir it leads to.
 */
function dirVia(fd: number, rel: string): string {
  return `/proc/self/fd/${fd}${rel === '' ? '/.' : rel}`;
}

/** `path` relative to `dir` ('/a/b'), or null when it is not strictly below it. Both canonical. */
function below(dir: string, path: string): string | null {
  if (dir === '/') return path === '/' ? null : path;
  return path.startsWith(dir + '/') ? path.slice(dir.length) : null;
}

/**
 * Reach lower (or data-only) `layer` through a guarded clone of its root (guardedClone: no symlink
 * followed on any walk through it, no atime stamped): false when the kernel gives none.
 */
function guard(layer: Layer): boolean {
  // A covered root is cloned from the fd held on it: its path now leads into the overlay.
  const made = guardedClone(layer.covered ?? layer.root, true);
  if (made === null) return false;
  layer.via = dirVia(made.fd, '');
  // The same clone serves as the layer's clone (cloneOf): it stamps no atime and holds no mount
  // inside the layer, so reads beneath a mount point or without atime need no second one.
  layer.clone = `/proc/self/fd/${made.fd}`;
  layer.cloneNoatime = made.noatime;
  return true;
}

/**
 * Place the layers before the first lookup, given the overlay's own mount point (`mountPoint`,
 * which must never be stat'ed by path: that asks this daemon) and the fds held on the dirs it
 * covers (`covered`, keyed by path).
 * - A lower holding the overlay's mount point has it registered (its other mount points are
 *   found by their stats as lookups meet them).
 * - Every layer is reached through a guarded clone (guardedClone: no symlink followed on any walk
 *   through it), so a layer dir replaced by a symlink while mounted is ELOOP to the daemon, not
 *   a way out of the layers for its root-run syscalls (a review, 2026-12-07: uid 1000 read a
 *   root-only file and created one in a root-owned dir that way). A lower's is a clone of its
 *   root that stamps no atime; the upper and work dir are reached, both, through one clone of the
 *   mount holding them (Layer.via, LayerStack.work): copy-up links and renames from the work dir
 *   into the upper must stay on one mount (EXDEV across two), as they do on the kernel's own
 *   clone of the upper mount. None of them holds the mounts made inside the layer, as the
 *   kernel's do not (a mount made inside the upper is beneath its dir, as under the kernel).
 *   A lower the overlay's own mount covers is cloned from the fd held on it (Layer.covered); a
 *   covered upper or work dir through the clone of their mount too, made from the fd held on
 *   its root when the overlay covers that (mount.ts holdCovered). The paths read `/proc/self/fd/N/…`,
 *   which src/sys hands to the *at calls on fd N (sys/held-path.ts), so they cost no procfs walk.
 *   Where the kernel gives no clone (no CAP_SYS_ADMIN over the mount) a layer keeps its plain
 *   paths.
 */
export function placeLayers(stack: LayerStack, mountPoint: string | undefined, covered: Covered = {}): void {
  for (const layer of stack.all) {
    const fd = covered[layer.root];
    if (fd === undefined) continue;
    layer.via = dirVia(fd, '');
    layer.covered = layer.via;
  }
  // A stat that meets a copy of this mount (mount propagation puts one wherever a peer of the
  // mount point's parent is) must not ask this daemon: see statWithoutSync.
  statWithoutSync(stack.all.every((l) => onLocalFilesystem(l.via ?? l.root)));
  const workdir = stack.work === null ? null : stack.work.slice(0, stack.work.lastIndexOf('/'));
  const workFd = workdir === null ? undefined : covered[workdir];
  if (workFd !== undefined) stack.work = dirVia(workFd, '/work');
  for (const layer of [...stack.lowers, ...stack.data]) {
    // A covered lower the kernel gives no clone of keeps its held fd, which is beneath the mount already.
    if (guard(layer) || layer.covered !== null) continue;
    const rel = mountPoint === undefined ? null : below(layer.root, mountPoint);
    if (rel === null) continue;
    if (cloneOf(layer) === null) throw new OvlError('EPERM', `inside lowerdir ${layer.root}, which only CAP_SYS_ADMIN can read beneath the mount`, { path: mountPoint! });
    remember(layer, rel);
  }
  const upper = stack.upper;
  if (upper === null || workdir === null) return;
  // A covered upper or work dir (the overlay mounted on its own upper, or on a dir holding both)
  // is cloned with the other from the root of the mount holding them, reached by the fd held on
  // it before the mount when the mount covers that too (mount.ts holdCovered). Without a clone
  // they keep their held fds, on their own mount (no EXDEV), unguarded.
  const isCovered = upper.covered !== null || workFd !== undefined;
  const holder = mountHolding(upper.covered ?? upper.root);
  if (holder === null || !inside(workdir, holder)) return;
  const heldHolder = covered[holder];
  if (heldHolder === undefined && mountPoint !== undefined && inside(holder, mountPoint)) return;
  const upperRel = upper.root === holder ? '' : below(holder, upper.root)!;
  const workRel = workdir === holder ? '' : below(holder, workdir)!;
  const made = guardedClone(heldHolder === undefined ? holder : dirVia(heldHolder, ''), false);
  if (made === null) {
    if (isCovered) return;
    if (mountPoint !== undefined && (below(upper.root, mountPoint) !== null || below(workdir, mountPoint) !== null)) {
      throw new OvlError('EPERM', 'inside upperdir or workdir, which only CAP_SYS_ADMIN can read beneath the mount', { path: mountPoint });
    }
    return;
  }
  upper.via = dirVia(made.fd, upperRel);
  stack.work = dirVia(made.fd, workRel) + '/work';
}

/**
 * Where the mount holding dir `path` is mounted: found by the mount's id, not by its path, since
 * the overlay's own mount may already sit at or above that path (one covering its upper). Null
 * when mountinfo does not list it (a mount outside this process's root).
 */
export function mountHolding(path: string): string | null {
  return mountOf(path)?.target ?? null;
}
