// Which later differences follow from an earlier accepted one. A rule with `derives` accepts one
// op's difference (e.g. a refused rename flag); what that op left behind differently shows again
// later, on the same names: those differences are reported as derived from it (linked to the
// first), not as new problems and not silently. Anything on other names stays unexpected.
import type { Difference } from './diff.js';
import type { Op } from './ops.js';

/** The merged paths an op names; fd and dir-handle ops name the path they were opened on. */
export function opPaths(ops: readonly Op[], i: number): string[] {
  const o = ops[i];
  if (!o) return [];
  if ('from' in o) return [o.from, o.to];
  if (o.op === 'mutate') return o.to !== undefined ? [o.path, o.to] : [o.path];
  if ('path' in o) return [o.path];
  const handle =
    'fd' in o ? { opener: 'open', n: o.fd } : 'dir' in o ? { opener: 'opendir', n: o.dir } : 'map' in o ? { opener: 'mapOpen', n: o.map } : 'proc' in o ? { opener: 'spawn', n: o.proc } : undefined;
  if (!handle) return [];
  for (let j = i - 1; j >= 0; j--) {
    const p = ops[j]!;
    if (p.op === handle.opener && (p.op === 'spawn' ? p.proc : handleOf(p)) === handle.n) return [(p as { path: string }).path];
  }
  return [];
}

const handleOf = (o: Op) => (o.op === 'open' ? o.fd : o.op === 'opendir' ? o.dir : o.op === 'mapOpen' ? o.map : undefined);

/** The op that releases a handle each opener makes: close(fdN), closedir(dirN), msync+munmap(mapN). */
const CLOSER = { open: 'close', opendir: 'closedir', mapOpen: 'unmap' } as const;

/** The handle number a closing op releases, if `o` is the closer of `opener`'s handles. */
const closes = (o: Op, opener: keyof typeof CLOSER): number | undefined =>
  o.op !== CLOSER[opener] ? undefined : o.op === 'close' ? o.fd : o.op === 'closedir' ? o.dir : o.op === 'unmap' ? o.map : undefined;

/**
 * Did op `i` run while a file handle or mapping that an earlier op opened on one of op `i`'s names
 * was still held (not closed, unmapped, or replaced by a new open of the same number)?
 */
export function heldAt(ops: readonly Op[], i: number): boolean {
  const names = opPaths(ops, i);
  return ops.slice(0, i).some((o, j) => {
    const n = handleOf(o);
    if (n === undefined || !('path' in o) || !names.includes(o.path)) return false;
    const opener = o.op as keyof typeof CLOSER;
    return !ops.slice(j + 1, i).some((later) => (later.op === o.op && handleOf(later) === n) || closes(later, opener) === n);
  });
}

const parent = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.');

/**
 * Did op `i` run while a program an earlier `spawn` started from one of op `i`'s names still ran
 * (not killed, and no remount or layer rotation since, which end every program)?
 */
export function runningAt(ops: readonly Op[], i: number): boolean {
  const names = opPaths(ops, i);
  return ops.slice(0, i).some((o, j) => {
    if (o.op !== 'spawn' || !names.includes(o.path)) return false;
    return !ops.slice(j + 1, i).some((l) => (l.op === 'kill' && l.proc === o.proc) || (l.op === 'spawn' && l.proc === o.proc) || l.op === 'remount' || l.op === 'rotate');
  });
}

/**
 * Names `o` may add to or take from their parent dirs through the mount (a create of a name that
 * exists counts too: not known here). The kernel's overlay bumps the version of such a dir
 * (ovl_dir_modified), so its cached entry list is not shared any more.
 */
function namesChanged(o: Op): string[] {
  switch (o.op) {
    case 'create': case 'mkdir': case 'mknod': case 'symlink': case 'unlink': case 'rmdir':
      return [o.path];
    case 'open':
      return o.creat ? [o.path] : [];
    case 'link':
      return [o.to];
    case 'rename':
      return [o.from, o.to];
    default:
      return [];
  }
}

/** Ops that may copy up the names they use (and the dirs above them); a read, a stat or a listing never does. */
function mayCopyUp(o: Op): boolean {
  switch (o.op) {
    case 'write': case 'append': case 'create': case 'truncate': case 'chmod': case 'chown': case 'utimes':
    case 'setxattr': case 'removexattr': case 'setacl': case 'mmap': case 'link': case 'rename': case 'mkdir':
    case 'mknod': case 'symlink': case 'unlink': case 'rmdir':
      return true;
    case 'open':
      return o.access !== 'r' || o.trunc === true || o.creat === true;
    case 'mapOpen':
      return o.access === 'rw';
    case 'direct':
      return o.data !== undefined;
    case 'ctime':
      return o.via !== 'read';
    default:
      return false;
  }
}

/**
 * Did listing op `i` (a readdir of the root, an opendir of it, or a rewind of a handle on it) run
 * while a handle an earlier `opendir` of the root made (and read) was still held, with an op
 * between them that may have copied up a name in or below it, and none that added or removed a
 * name in it, remounted or changed a layer? That is when the kernel's overlay lists from the entry
 * list cached at that opendir (S39): a copy-up leaves its version alone, a name added or removed
 * through the mount moves it. Only the root: it is always merged (upper and lowers), while a dir
 * in one layer only is read directly (ovl_dir_open: is_real), with no cache to keep an order.
 */
export function listedBesideHeldDir(ops: readonly Op[], i: number): boolean {
  const dir = opPaths(ops, i)[0];
  if (dir !== '.') return false;
  return ops.slice(0, i).some((o, j) => {
    if (o.op !== 'opendir' || o.path !== dir) return false;
    // An opendir of the same number closes that handle before it reads (exec-op.ts hold).
    const listing = ops[i]!;
    if (listing.op === 'opendir' && listing.dir === o.dir) return false;
    const between = ops.slice(j + 1, i);
    const ends = (l: Op) =>
      ((l.op === 'opendir' || l.op === 'closedir') && l.dir === o.dir) || l.op === 'remount' || l.op === 'rotate' || l.op === 'mutate';
    if (between.some((l) => ends(l) || namesChanged(l).some((p) => parent(p) === dir))) return false;
    return between.some((l, k) => mayCopyUp(l) && opPaths(ops, j + 1 + k).some((p) => p !== dir));
  });
}

/** Same name, one inside the other, or one the parent dir of the other (its listing, nlink, mtime). */
export function related(a: string, b: string): boolean {
  if (a === b) return true;
  if (a === '.' || b === '.') return parent(a === '.' ? b : a) === '.';
  return a.startsWith(b + '/') || b.startsWith(a + '/') || parent(a) === b || parent(b) === a;
}

/**
 * Whether dir `p` is above `tainted`: an op deep in the tree copies up every dir above its name (or,
 * refused, does not), which changes each one's parent as well: the root's nlink and impure mark
 * after an unlink of "b/a". Only for the tree's state: a later op on such a dir is its own op.
 */
const above = (p: string, tainted: string) => p === '.' || tainted.startsWith(p + '/');

/** The paths a difference is about: its tree path, or the names its op used. */
export function differencePaths(d: Difference, ops: readonly Op[]): string[] {
  if (d.where === 'op') return opPaths(ops, d.opIndex ?? -1);
  return d.path !== undefined ? [d.path] : [];
}

/** Does `d` come after op `root` (final-state differences come after every op)? */
export const comesAfter = (d: Difference, root: number) => d.where !== 'op' || (d.opIndex ?? 0) > root;

/**
 * The other fields of the root's own op, and later differences on its names (see `follows`).
 * Tainted names grow as derived op differences are found (a later op on a tainted name that
 * differs names more paths), in op order. Returns for each difference the index of the root it
 * derives from, or undefined.
 */
export function deriveFrom(roots: number[], diffs: readonly Difference[], ops: readonly Op[]): Array<number | undefined> {
  const out: Array<number | undefined> = diffs.map(() => undefined);
  for (const r of roots) {
    const root = diffs[r]!;
    const tainted = new Set(differencePaths(root, ops));
    // An op that only looks (a listing, a stat, a read) writes nothing a later difference could
    // follow from but the atime of what it read; its difference shows the sides see different
    // objects, though, which a later op that writes those very names carries on (a read of a
    // replaced lower file, then an append: each side copies up what it saw). So from such an op:
    // its own fields where it failed on one side, the atime of its names, and what follows a later
    // op on exactly those names (or below them). A review: a root listing that differed after a
    // layer change derived every later difference in the trees (the root is above everything),
    // a planted chmod of the root and a stray upper file included.
    let from = root.opIndex ?? 0;
    const observing = root.where === 'op' && OBSERVING.has(ops[from]?.op ?? '');
    if (observing) {
      diffs.forEach((d, i) => {
        if (i === r || out[i] !== undefined || roots.includes(i)) return;
        // Its other fields only where it failed on one side (a stat's mtime accepted is not its mode).
        const sameOp = d.where === 'op' && d.opIndex === root.opIndex && root.field === 'result';
        const atime = d.where !== 'op' && d.field === 'stat.atime' && d.path !== undefined && tainted.has(d.path);
        if (sameOp || atime) out[i] = r;
      });
      const onItsNames = (p: string) => [...tainted].some((t) => p === t || (t !== '.' && p.startsWith(t + '/')));
      const writer = ops.findIndex((o, j) => j > from && !OBSERVING.has(o.op) && opPaths(ops, j).some(onItsNames));
      if (writer < 0) continue;
      from = writer - 1;
    }
    const order = diffs.map((_, i) => i).sort((x, y) => rank(diffs[x]!) - rank(diffs[y]!));
    for (const i of order) {
      const d = diffs[i]!;
      if (i === r || out[i] !== undefined || roots.includes(i)) continue;
      // The same op's other fields (a read's content when its result differs) follow from it too.
      const sameOp = !observing && d.where === 'op' && root.where === 'op' && d.opIndex === root.opIndex;
      if (!sameOp && !comesAfter(d, from)) continue;
      const paths = differencePaths(d, ops);
      const tree = d.where !== 'op';
      if (!paths.some((p) => [...tainted].some((t) => related(p, t) || (tree && above(p, t))))) continue;
      out[i] = r;
      if (d.where === 'op') for (const p of paths) tainted.add(p);
    }
  }
  return out;
}

/** Ops that change nothing on disk but atimes (and open or close nothing another op uses). */
const OBSERVING = new Set(['readdir', 'stat', 'lstat', 'statx', 'read', 'fdRead', 'fdStat', 'getxattr', 'listxattr', 'getacl', 'lsattr', 'readlink', 'statfs', 'dirents', 'relist', 'mapRead']);

const rank = (d: Difference) => (d.where === 'op' ? (d.opIndex ?? 0) : Number.MAX_SAFE_INTEGER);
