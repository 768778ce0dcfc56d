// Turns raw observations into values that two correct overlays agree on: inode numbers become
// equality classes (named after the place the inode was first seen), times become either the
// exact value a scenario set on purpose or "now", and the kernel's side-effect xattrs (origin
// file handles, the mount uuid) keep their presence but lose their bytes.
import { isCharWhiteout, OVL_UUID_SIZE, OverlayXattrs } from '../format/index.js';
import type { RawEntry, RawStat } from './raw.js';
import { OLD_TIME_LIMIT_SEC } from './scenario.js';

export type TimeObs = number | 'now';

export interface StatObs {
  type: string;
  mode: string;
  size?: number;
  nlink?: number;
  uid?: number;
  gid?: number;
  /** The first observation point that saw this inode, e.g. `op3` or `merged:d/a`. */
  ino?: string;
  rdev?: string;
  mtime?: TimeObs;
  atime?: TimeObs;
}

export interface EntryObs {
  path: string;
  stat?: StatObs;
  errno?: string;
  content?: { size: number; sha: string; text?: string };
  target?: string;
  xattrs?: Record<string, string>;
  readErrno?: string;
  /** A dir's names in listing order (merged tree only). */
  order?: string[];
}

const TYPES: Record<number, string> = {
  0o100000: 'file',
  0o040000: 'dir',
  0o120000: 'symlink',
  0o010000: 'fifo',
  0o020000: 'chr',
  0o060000: 'blk',
  0o140000: 'sock',
};

/** Seconds as set on purpose (below the old-time limit), or 'now' for anything a write stamped. */
export function normTime(ns: string): TimeObs {
  const n = BigInt(ns);
  const sec = Number(n / 1_000_000_000n);
  if (sec >= OLD_TIME_LIMIT_SEC) return 'now';
  const frac = Number(n % 1_000_000_000n);
  return frac === 0 ? sec : sec + frac / 1e9;
}

const BOTH = [new OverlayXattrs(false), new OverlayXattrs(true)];
/** Overlay xattrs whose bytes are kernel internals (in both namespaces); only their presence is compared. */
const OPAQUE_VALUE = new Map(BOTH.flatMap((ovl) => [[ovl.name('origin'), '<file handle>'], [ovl.name('upper'), '<file handle>']]));
/** The persistent uuid is random per mount: compared as "a 16-byte value", any other size shows as such. */
const UUID = new Set(BOTH.map((ovl) => ovl.name('uuid')));

/** Byte length of a value as raw.ts's xattrText wrote it. */
const byteLength = (v: string) => (v.startsWith('hex:') ? (v.length - 4) / 2 : Buffer.byteLength(v, 'latin1'));

/** One normaliser per target run: it owns the inode classes of that run. */
export class Normaliser {
  private readonly firstSeen = new Map<string, string>();

  /** Label for an inode number; `site` names this observation in case it is the first. */
  inode(ino: string, site: string): string {
    let label = this.firstSeen.get(ino);
    if (label === undefined) {
      label = site;
      this.firstSeen.set(ino, label);
    }
    return label;
  }

  stat(st: RawStat, site: string, { layer = false } = {}): StatObs {
    const typeBits = st.mode & 0o170000;
    const type = TYPES[typeBits] ?? 'unknown';
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    // Whiteouts that unlink and rmdir leave share one inode per mount (spec S20): which ones do,
    // and how many links it has, is compared as for any hard link.
    if (layer && isCharWhiteout(st)) return { type: 'whiteout', mode, nlink: st.nlink, ino: this.inode(st.ino, site) };
    const o: StatObs = { type, mode };
    if (type !== 'dir') o.size = st.size;
    o.nlink = st.nlink;
    o.uid = st.uid;
    o.gid = st.gid;
    o.ino = this.inode(st.ino, site);
    if (type === 'chr' || type === 'blk') o.rdev = `${Math.floor(st.rdev / 256)}:${st.rdev % 256}`;
    o.mtime = normTime(st.mtimeNs);
    o.atime = normTime(st.atimeNs);
    return o;
  }

  entries(raw: RawEntry[], tree: string, { layer = false } = {}): EntryObs[] {
    return raw.map((r) => {
      const e: EntryObs = { path: r.path === '' ? '.' : r.path };
      if (r.errno) e.errno = r.errno;
      if (r.stat) e.stat = this.stat(r.stat, `${tree}:${e.path}`, { layer });
      if (r.content) e.content = r.content;
      if (r.target !== undefined) e.target = r.target;
      if (r.xattrs) e.xattrs = layer ? normaliseLayerXattrs(r.xattrs) : r.xattrs;
      if (r.readErrno) e.readErrno = r.readErrno;
      if (r.order) e.order = r.order;
      return e;
    });
  }
}

export function normaliseLayerXattrs(x: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(x)) {
    if (UUID.has(k)) out[k] = byteLength(v) === OVL_UUID_SIZE ? '<uuid>' : `<${byteLength(v)}-byte uuid>`;
    else out[k] = v !== '' && OPAQUE_VALUE.has(k) ? OPAQUE_VALUE.get(k)! : v;
  }
  return out;
}
