// Raw observations, taken inside the worker process: stat fields with real inode numbers and
// nanosecond times, content digests, xattrs, and whole-tree walks. They are normalised later by
// the runner (normalise.ts), in one deterministic order, so equality classes line up across targets.
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
// Names as bytes: a tree may hold names that are not UTF-8 (src/format/byte-names.ts).
import { lstatSync, readFileSync, readdirSync, readlinkSync } from '../sys/fs-bytes.js';
import { join } from 'node:path';
import { errnoCodeOf } from '../errors.js';
import { aclToText, isAcl } from '../format/index.js';
import { getXattr, listDirents, listXattrs } from '../sys/index.js';

export interface RawStat {
  mode: number;
  size: number;
  nlink: number;
  uid: number;
  gid: number;
  ino: string;
  rdev: number;
  atimeNs: string;
  mtimeNs: string;
}

/** What was read: size, a digest, and the text itself when it is short and printable. */
export interface ContentObs {
  size: number;
  sha: string;
  text?: string;
}

/**
 * What one op returned. `Stat` is the form of its stat: RawStat as the worker took it, StatObs
 * once normalised (trace.ts); every other kind passes normalisation unchanged.
 */
export type OpValue<Stat> =
  | { stat: Stat }
  | { content: ContentObs }
  /** `order`: the names as the listing returned them (getdents order); `names` sorted. */
  | { names: string[]; order?: string[] }
  | { text: string }
  | { statfs: { namemax: number; fsidSet: boolean } }
  /** Named observations of one op (statx fields, ctime relations, each name's dirent). */
  | { fields: Record<string, string | number> };

/** How one op ended: its value, or the errno name it failed with. */
export type OpOutcome<Value> = { ok: true; value?: Value } | { ok: false; errno: string };

export interface RawEntry {
  path: string;
  stat?: RawStat;
  /** errno of lstat for a name the listing showed (the kernel lists some names it cannot look up). */
  errno?: string;
  content?: ContentObs;
  target?: string;
  xattrs?: Record<string, string>;
  /** errno of reading the content, the link or the xattrs. */
  readErrno?: string;
  /** A dir's names in getdents order (walks with `order`: through the mount). */
  order?: string[];
}

export function rawStat(st: BigIntStats): RawStat {
  return {
    mode: Number(st.mode),
    size: Number(st.size),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    // Unsigned: node's BigIntStats gives ino as a signed 64-bit value, and the kernel's xino=on
    // numbers above 2^63 (layers on two tmpfs) would read negative beside getdents' and statx's.
    ino: BigInt.asUintN(64, st.ino).toString(),
    rdev: Number(st.rdev),
    atimeNs: st.atimeNs.toString(),
    mtimeNs: st.mtimeNs.toString(),
  };
}

export function contentObs(buf: Buffer): ContentObs {
  const sha = createHash('sha256').update(buf).digest('hex').slice(0, 16);
  const s = buf.toString('latin1');
  return buf.length <= 64 && /^[\x20-\x7e]*$/.test(s) ? { size: buf.length, sha, text: s } : { size: buf.length, sha };
}

/** An xattr value as text when printable, else `hex:…`. */
/** An xattr value as text: a POSIX ACL as `acl:` and its short text, printable bytes as they are, others as hex. */
export function xattrText(v: Buffer, name = ''): string {
  const acl = isAcl(name) ? aclToText(v) : null;
  if (acl !== null) return `acl:${acl}`;
  const s = v.toString('latin1');
  return /^[\x20-\x7e]*$/.test(s) ? s : 'hex:' + v.toString('hex');
}

export function readXattrMap(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of listXattrs(path).sort()) {
    const v = getXattr(path, name);
    if (v !== null) out[name] = xattrText(v, name);
  }
  return out;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

function entry(root: string, rel: string, withContent: boolean): RawEntry {
  const abs = join(root, rel);
  let st: BigIntStats;
  try {
    st = lstatSync(abs, { bigint: true });
  } catch (e) {
    return { path: rel, errno: errnoCodeOf(e) };
  }
  const e: RawEntry = { path: rel, stat: rawStat(st) };
  try {
    const type = Number(st.mode) & S_IFMT;
    if (type === S_IFREG && withContent) e.content = contentObs(readFileSync(abs));
    if (type === S_IFLNK) e.target = readlinkSync(abs);
    const x = readXattrMap(abs);
    if (Object.keys(x).length > 0) e.xattrs = x;
  } catch (err) {
    e.readErrno = errnoCodeOf(err);
  }
  return e;
}

/**
 * Every object under `root` in sorted depth-first order, root itself first as ''. A name that the
 * listing shows but lstat refuses is kept with its errno; a dir whose listing fails gets readErrno.
 * With `order`, each dir also keeps its names in listing order (what `ls -U`, tar and grep -r see).
 */
export function walkTree(root: string, { withContent = true, order = false } = {}): RawEntry[] {
  const out: RawEntry[] = [];
  const visit = (rel: string) => {
    const e = entry(root, rel, withContent);
    out.push(e);
    if (!e.stat || (e.stat.mode & S_IFMT) !== S_IFDIR) return;
    let names: string[];
    try {
      names = order ? listDirents(join(root, rel)).map((d) => d.name) : readdirSync(join(root, rel));
    } catch (err) {
      e.readErrno = errnoCodeOf(err);
      return;
    }
    if (order) e.order = names;
    for (const n of [...names].sort()) visit(rel === '' ? n : `${rel}/${n}`);
  };
  visit('');
  return out;
}
