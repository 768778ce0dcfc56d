// Builds a scenario's layers on disk before mounting. Entries are created parents first; an entry
// whose parent is not a directory in that layer, or a hard link to something that is not a file
// there, is skipped the same way on every target, so both sides start from identical layers.
// Every object then gets the fixed setup times, so later "now" stamps are told apart.
// Names as bytes: a layer may hold names that are not UTF-8 (src/format/byte-names.ts).
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, symlinkSync, writeFileSync, linkSync } from '../sys/fs-bytes.js';
import { dirname, join } from 'node:path';
import { ACL_ACCESS, ACL_DEFAULT, OverlayXattrs, OPAQUE_YES, aclFromText } from '../format/index.js';
import { makeWhiteout, makedev, mknod, setTimes, setXattr, STATIC_BINARY } from '../sys/index.js';
import type { Access, Layer, LayerEntry } from './scenario.js';
import { SETUP_TIME_SEC } from './scenario.js';

const ovl = new OverlayXattrs(false);
const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;

function depth(p: string): number {
  return p.split('/').length;
}

/** True when `p`'s parent exists in the layer as a directory (creating implicit parents is not done). */
function parentIsDir(root: string, p: string): boolean {
  const parent = dirname(p);
  if (parent === '.') return true;
  try {
    return lstatSync(join(root, parent)).isDirectory();
  } catch {
    return false;
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Owner, then mode (a chown clears set-user-ID, even root's), then the access ACL, which sets the
 * group bits to its mask as setfacl does.
 */
function setAccess(p: string, mode: number, a: Access): void {
  if (a.owner !== undefined) chownSync(p, a.owner, a.owner);
  chmodSync(p, mode);
  if (a.acl) setXattr(p, ACL_ACCESS, aclFromText(a.acl));
}

function create(root: string, e: LayerEntry): void {
  const p = join(root, e.path);
  switch (e.kind) {
    case 'file':
      writeFileSync(p, e.content);
      setAccess(p, e.mode, e);
      for (const [k, v] of Object.entries(e.xattrs ?? {})) setXattr(p, k, v);
      return;
    case 'dir':
      mkdirSync(p);
      setAccess(p, e.mode, e);
      if (e.defaultAcl) setXattr(p, ACL_DEFAULT, aclFromText(e.defaultAcl));
      if (e.opaque) setXattr(p, ovl.name('opaque'), OPAQUE_YES);
      for (const [k, v] of Object.entries(e.xattrs ?? {})) setXattr(p, k, v);
      return;
    case 'symlink':
      return symlinkSync(e.target, p);
    case 'hardlink':
      return linkSync(join(root, e.to), p);
    case 'fifo':
      return mknod(p, S_IFIFO | e.mode);
    case 'chr':
      return mknod(p, S_IFCHR | e.mode, makedev(e.major, e.minor));
    case 'whiteout':
      return makeWhiteout(p);
    case 'xwhiteout':
      writeFileSync(p, '');
      return setXattr(p, ovl.name('whiteout'), '');
    case 'exe':
      copyFileSync(STATIC_BINARY, p);
      return chmodSync(p, 0o755);
  }
}

/**
 * Create `layer` under `root` (an existing empty dir). Returns the paths that were skipped
 * because the layer cannot hold them (same answer on every target).
 */
export function buildLayer(root: string, layer: Layer): string[] {
  const skipped: string[] = [];
  const entries = [...layer.entries].sort((a, b) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1));
  // Hard links last, so their targets exist whatever their names.
  const ordered = [...entries.filter((e) => e.kind !== 'hardlink'), ...entries.filter((e) => e.kind === 'hardlink')];
  for (const e of ordered) {
    const p = join(root, e.path);
    if (!parentIsDir(root, e.path) || exists(p) || (e.kind === 'hardlink' && !isFile(join(root, e.to)))) {
      skipped.push(e.path);
      continue;
    }
    create(root, e);
  }
  stampSetupTimes(root, ordered.map((e) => e.path).filter((p) => !skipped.includes(p)));
  return skipped;
}

/** Give every created object, deepest first and the layer root last, the fixed setup times. */
function stampSetupTimes(root: string, paths: string[]): void {
  const t = { sec: SETUP_TIME_SEC, nsec: 0 };
  for (const p of [...paths].sort((a, b) => depth(b) - depth(a))) setTimes(join(root, p), t, t);
  setTimes(root, t, t);
}
