// A comparable picture of a mounted tree: for every path (sorted) its type, mode, owner, size,
// link count (optional), symlink target, device numbers, content hash and the xattrs a user
// sees. Inode numbers and times are left out unless asked for, since two trees made by the same
// steps at different moments legitimately differ there.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeName, osPath } from '../../src/format/byte-names.js';
import { lstatSync, readlinkSync } from '../../src/sys/fs-bytes.js';
import { getXattr, listXattrs } from '../../src/sys/index.js';
import { releaseLongPaths, shortPath } from '../../src/sys/long-path.js';

export interface DumpOptions {
  mtime?: boolean;
  nlink?: boolean;
  ino?: boolean;
}

function describe(real: string, opts: DumpOptions): string {
  // Trees may hold paths past PATH_MAX (long-path tests): reach them through an ancestor fd.
  const path = shortPath(real);
  // A listed name can fail lstat (an xattr whiteout the kernel lists, a dir it refuses to follow
  // a redirect of): record that, as the kernel shows it.
  let st;
  try {
    st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    return `lstat=${(err as NodeJS.ErrnoException).code}`;
  }
  if (!st) return 'lstat=ENOENT';
  const mode = Number(st.mode);
  const fields = [`mode=${mode.toString(8)}`, `uid=${st.uid}`, `gid=${st.gid}`];
  if (opts.nlink) fields.push(`nlink=${st.nlink}`);
  if (opts.mtime) fields.push(`mtime=${st.mtimeNs}`);
  if (opts.ino) fields.push(`ino=${st.ino}`);
  const type = mode & 0o170000;
  if (type === 0o100000) fields.push(`size=${st.size}`, `sha=${createHash('sha1').update(readFileSync(osPath(path))).digest('hex').slice(0, 12)}`);
  if (type === 0o120000) fields.push(`target=${readlinkSync(path)}`);
  if (type === 0o020000 || type === 0o060000) fields.push(`rdev=${st.rdev}`);
  const xattrs = listXattrs(path)
    .sort()
    .map((n) => `${n}=${getXattr(path, n)?.toString('hex')}`);
  if (xattrs.length) fields.push(`xattrs[${xattrs.join(',')}]`);
  return fields.join(' ');
}

/** Every path under `root` (relative, sorted) with its description. */
export function dumpTree(root: string, opts: DumpOptions = {}): Record<string, string> {
  const out: Record<string, string> = { '.': describe(root, opts) };
  const walk = (rel: string) => {
    // Names as bytes (a name that is not UTF-8 is its own, not U+FFFD: src/format/byte-names.ts).
    let listed: Buffer[];
    try {
      listed = readdirSync(osPath(shortPath(join(root, rel))), { encoding: 'buffer' });
    } catch (err) {
      // A listing the kernel fails (a lookup it makes while listing refused): record the errno.
      out[rel || '.'] += ` readdir=${(err as NodeJS.ErrnoException).code}`;
      return;
    }
    for (const name of listed.map((b) => decodeName(b)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      out[r] = describe(join(root, r), opts);
      // A dir's octal mode is 4 and four digits (040755, sticky 041777); no other type's is.
      if (/^mode=4\d{4} /.test(out[r]!)) walk(r);
    }
  };
  walk('');
  // Ancestor fds inside a mount would keep it busy.
  releaseLongPaths(root);
  return out;
}

/** Run `fn`, returning 'ok' or the error code it threw (to compare errno outcomes side by side). */
export function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}
