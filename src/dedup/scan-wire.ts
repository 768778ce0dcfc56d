// A scanned layer as a scan thread hands it to the main thread: every entry's lstat as one row of
// numbers in a Float64Array (moved, not copied), the paths as one string (a list on the thread
// that walked: no join and split when nothing crosses), the rare parts (symlink targets, xattrs,
// inode numbers past 2^53) as short lists. The scan thread builds no Entry
// objects and no bigints (walkToWire); the main thread builds each Entry once (decodeScan), with
// inode ids given in the order a scan on the main thread gives them (top dir, then walk order).
// Cloning the Entry objects instead cost the main thread ~200 ms on the bench root.
import { AT_FDCWD } from '../sys/libc.js';
import { lstatAt, lstatAtRow, STAT, STAT_FIELDS } from '../sys/statx.js';
import { INODE_IDS } from './inode-ids.js';
import { comparePaths } from './paths.js';
import type { WarningLog } from './read-meta.js';
import { codeOf, typeOfMode, walkDirs, xattrsFor, type XattrCache } from './scan.js';
import type { Entry, EntryType, LayerScan } from './types.js';
// Link texts as bytes, a name that is not UTF-8 included (src/format/byte-names.ts).
import { readlinkSync } from '../sys/fs-bytes.js';
import { CHUNK } from './chunks.js';

export interface WireScan {
  dir: string;
  /**
   * entry 0 is the layer's top dir, then the entries in walk order: the list on the thread that
   * walked, joined by NUL to cross to another (scan-worker.ts; one string clones cheaper than 121k)
   */
  paths: string[] | string;
  /** STAT_FIELDS numbers per entry (sys/statx.ts STAT), same order; may be longer than needed */
  rows: Float64Array<ArrayBuffer>;
  /** walk indexes (1-based: 0 is the top) in path order, the order LayerScan.entries has */
  sorted: Uint32Array<ArrayBuffer>;
  targets: Array<[number, string]>;
  xattrs: Array<[number, Array<[string, Uint8Array]>]>;
  /** inode numbers too large for a double (their row holds -1) */
  bigInos: Array<[number, bigint]>;
}

export interface WireOptions {
  log: WarningLog;
  xattrCache?: XattrCache | undefined;
  fileXattrs: boolean;
}

/** walkLayer (same walk, same warnings) straight into the wire shape. */
export function walkToWire(dir: string, { log, xattrCache, fileXattrs }: WireOptions): WireScan | null {
  let rows = new Float64Array(4096 * STAT_FIELDS);
  const paths: string[] = [];
  const w: WireScan = { dir, paths, rows, sorted: new Uint32Array(0), targets: [], xattrs: [], bigInos: [] };
  // One entry: its row, then what a row cannot hold. Answers `dev:ino` of a directory.
  const add = (dirfd: number, name: string, path: string, abs: string): string | undefined => {
    const i = paths.length;
    if ((i + 1) * STAT_FIELDS > rows.length) {
      const grown = new Float64Array(rows.length * 2);
      grown.set(rows);
      rows = grown;
    }
    lstatAtRow(dirfd, name, abs, rows, i);
    const o = i * STAT_FIELDS;
    const type = typeOfMode(rows[o + STAT.mode]!);
    const ino = rows[o + STAT.ino] === -1 ? lstatAt(dirfd, name, abs).ino : rows[o + STAT.ino]!;
    const nlink = rows[o + STAT.nlink]!;
    // `dev:ino` keys a directory in the walk and a hard-linked file's xattrs in the cache; analyze
    // reads no file xattrs, so its 118 800 files need no key string.
    const inode = type === 'dir' || (type === 'file' && fileXattrs && nlink > 1) ? `${rows[o + STAT.dev]}:${ino}` : '';
    const target = type === 'symlink' ? readlinkSync(abs) : '';
    // The top dir is stat'ed as walkLayer does it: all its xattrs, no cache.
    const xattrs = i === 0 ? xattrsFor(type, abs, 1, inode, undefined, true) : xattrsFor(type, abs, nlink, inode, xattrCache, fileXattrs);
    if (typeof ino === 'bigint') w.bigInos.push([i, ino]);
    if (target !== '') w.targets.push([i, target]);
    if (xattrs.length > 0) w.xattrs.push([i, xattrs]);
    paths.push(path);
    return type === 'dir' ? inode : undefined;
  };
  let topKey: string | undefined;
  try {
    topKey = add(AT_FDCWD, dir, '', dir);
  } catch (err) {
    log.add(dir, `cannot scan layer: ${codeOf(err)}`);
    return null;
  }
  walkDirs(dir, topKey ?? '', log, add);
  const order = Array.from({ length: paths.length - 1 }, (_, i) => i + 1).sort((a, b) => comparePaths(paths[a]!, paths[b]!));
  w.sorted = Uint32Array.from(order);
  w.rows = rows;
  return w;
}

const NONE: Array<[string, Buffer]> = [];
const GIGA = 1_000_000_000n;

/**
 * An Entry rebuilt from a row. `inode` and the two times are made when read, not per entry: an
 * analysis of an overlay2 root reads none of them (only legacy diffs, convert and verify do), and
 * a string and six bigints per entry were about half of the rebuild's CPU on the bench root and
 * much of its garbage. Getters on the prototype: a spread copy (`{...e}`) does not carry them.
 * What only those getters and `ino` read (st_dev, st_ino, the time halves) stays in the layer's
 * rows, which live outside the JS heap: each entry survives two scavenges on the bench root, and
 * six fields fewer (two for the row) is 32 of its 168 bytes not copied each time.
 */
class RowEntry implements Entry {
  constructor(
    readonly path: string,
    readonly type: EntryType,
    readonly perm: number,
    readonly uid: number,
    readonly gid: number,
    readonly size: number,
    readonly blocks: number,
    readonly id: number,
    readonly nlink: number,
    readonly rdev: number,
    readonly target: string,
    readonly xattrs: Array<[string, Buffer]>,
    /** the layer's rows and this entry's offset in them (i × STAT_FIELDS) */
    private readonly rows: Float64Array,
    private readonly at: number,
  ) {}

  /** st_ino (a bigint past 2^53: its row holds -1, the number is in BIG_INOS) */
  get ino(): number | bigint {
    const ino = this.rows[this.at + STAT.ino]!;
    return ino !== -1 ? ino : BIG_INOS.get(this.rows)!.get(this.at)!;
  }

  get inode(): string {
    return `${this.rows[this.at + STAT.dev]}:${this.ino}`;
  }

  get mtimeNs(): bigint {
    return BigInt(this.rows[this.at + STAT.mtimeSec]!) * GIGA + BigInt(this.rows[this.at + STAT.mtimeNsec]!);
  }

  get atimeNs(): bigint {
    return BigInt(this.rows[this.at + STAT.atimeSec]!) * GIGA + BigInt(this.rows[this.at + STAT.atimeNsec]!);
  }
}

/** Layer rows → row offset → st_ino, for the rare inode numbers a double cannot hold. */
const BIG_INOS = new WeakMap<Float64Array, Map<number, bigint>>();

/** st_ino of an entry as a number (0 past 2^53), without making its `inode` string when it has none yet. */
export function inoOf(e: Entry): number {
  const ino = e instanceof RowEntry ? e.ino : e.inode.slice(e.inode.indexOf(':') + 1);
  return typeof ino === 'number' ? ino : Number(ino) <= Number.MAX_SAFE_INTEGER ? Number(ino) : 0;
}

/**
 * The LayerScan again (entries sorted by path), ids from the process's numbering in walk order.
 * The rows are decoded by a function called per 1 024 rows, not one loop over the layer: such a
 * loop runs once per layer, so each layer's call started in the interpreter while its code was
 * being compiled, and TurboFan compiled it again by on-stack replacement (with the code after the
 * loop, which then deoptimised for want of type feedback): 4–8 compiles a run, 0.6–1.7 s of compile
 * time in loaded --trace-opt runs. A call per chunk enters compiled code from the second chunk on.
 */
export function decodeScan(w: WireScan): LayerScan {
  const paths = typeof w.paths === 'string' ? w.paths.split('\0') : w.paths;
  const walk = new Array<Entry>(paths.length);
  const rare = { t: 0, x: 0, b: 0 };
  for (let i = 0; i < paths.length; i += CHUNK) decodeRows(w, paths, walk, rare, i, Math.min(paths.length, i + CHUNK));
  return { dir: w.dir, top: walk[0]!, entries: inPathOrder(walk, w.sorted) };
}

/** Where the next target, xattrs and big inode number are in their lists (listed by walk index, ascending). */
interface RareCursor {
  t: number;
  x: number;
  b: number;
}

/** Rows `from` to `to` as entries; no Map of the rare parts, a cursor each. */
function decodeRows(w: WireScan, paths: string[], walk: Entry[], c: RareCursor, from: number, to: number): void {
  const { rows, targets, xattrs, bigInos } = w;
  for (let i = from; i < to; i++) {
    const target = c.t < targets.length && targets[c.t]![0] === i ? targets[c.t++]![1] : '';
    const xs = c.x < xattrs.length && xattrs[c.x]![0] === i ? buffersOf(xattrs[c.x++]![1]) : undefined;
    const big = c.b < bigInos.length && bigInos[c.b]![0] === i ? bigInos[c.b++]![1] : undefined;
    walk[i] = rowEntry(rows, i, paths[i]!, target, xs, big);
  }
}

function buffersOf(xs: Array<[string, Uint8Array]>): Array<[string, Buffer]> {
  return xs.map(([k, v]): [string, Buffer] => [k, Buffer.from(v.buffer, v.byteOffset, v.byteLength)]);
}

/** Entry `i` of the rows; `big`: its st_ino when the row could not hold it. */
function rowEntry(r: Float64Array, i: number, path: string, target: string, xattrs: Array<[string, Buffer]> | undefined, big: bigint | undefined): RowEntry {
  const o = i * STAT_FIELDS;
  const mode = r[o + STAT.mode]!;
  const type = typeOfMode(mode);
  const dev = r[o + STAT.dev]!;
  const ino = big ?? r[o + STAT.ino]!;
  if (big !== undefined) {
    let bigs = BIG_INOS.get(r);
    if (bigs === undefined) BIG_INOS.set(r, (bigs = new Map()));
    bigs.set(o, big);
  }
  return new RowEntry(
    path, type, mode & 0o7777, r[o + STAT.uid]!, r[o + STAT.gid]!, r[o + STAT.size]!, r[o + STAT.blocks]!,
    INODE_IDS.of(dev, ino), r[o + STAT.nlink]!, r[o + STAT.rdev]!, target, xattrs ?? (type === 'file' ? NONE : []), r, o,
  );
}

/** The entries but the top dir, in path order (`sorted`: walk indexes). */
function inPathOrder(walk: Entry[], sorted: Uint32Array): Entry[] {
  const entries = new Array<Entry>(walk.length - 1);
  for (let k = 0; k < entries.length; k++) entries[k] = walk[sorted[k]!]!;
  return entries;
}
