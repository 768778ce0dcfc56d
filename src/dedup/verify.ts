// verify: mount each converted stack read-only and compare it with the legacy `root/` it came
// from: paths, types, modes, owners, sizes, symlink targets, device numbers, mtimes, xattrs and
// content hashes. Mount points are private temp dirs, always unmounted (withMount).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { withMount } from '../sys/index.js';
import { contentHasher } from './hash.js';
import { isOverlayPrivate } from './diff-overlay.js';
import { WarningLog } from './read-meta.js';
import { scanLayer } from './scan.js';
import type { Entry } from './types.js';

/** How many differing paths a failed verification lists. */
export const MAX_DIFFERENCES = 20;

export type VerifyEngine = 'kernel' | 'fuse';

export interface VerifyResult {
  image: string;
  identical: boolean;
  /** entries compared, top dir included */
  compared: number;
  differences: Array<{ path: string; what: string }>;
}

function xattrText(e: Entry): string {
  return e.xattrs.filter(([n]) => !isOverlayPrivate(n)).map(([n, v]) => `${n}=${v.toString('hex')}`).join(',');
}

/** The first field in which two entries differ, or null. Content is compared separately. */
export function entryDifference(a: Entry, b: Entry): string | null {
  const fields: Array<[string, unknown, unknown]> = [
    ['type', a.type, b.type],
    ['mode', a.perm.toString(8), b.perm.toString(8)],
    ['owner', `${a.uid}:${a.gid}`, `${b.uid}:${b.gid}`],
    ['size', a.type === 'dir' ? 0 : a.size, b.type === 'dir' ? 0 : b.size],
    ['target', a.target, b.target],
    ['rdev', a.rdev, b.rdev],
    ['mtime', a.mtimeNs, b.mtimeNs],
    ['xattrs', xattrText(a), xattrText(b)],
  ];
  for (const [what, x, y] of fields) if (x !== y) return `${what}: converted ${String(x)}, legacy ${String(y)}`;
  return null;
}

/** Compare the tree at `mounted` with the legacy `root/` at `legacy`. */
export async function compareTrees(image: string, mounted: string, legacy: string): Promise<VerifyResult> {
  const log = new WarningLog();
  const a = scanLayer(mounted, { log });
  const b = scanLayer(legacy, { log });
  const differences: VerifyResult['differences'] = log.list.map((w) => ({ path: w.path, what: w.reason }));
  if (!a || !b) return { image, identical: false, compared: 0, differences };
  const hash = await contentHasher();
  const left = new Map([['', a.top], ...a.entries.map((e) => [e.path, e] as const)]);
  const right = new Map([['', b.top], ...b.entries.map((e) => [e.path, e] as const)]);
  for (const [path, e] of right) {
    const m = left.get(path);
    let what = m ? entryDifference(m, e) : 'missing from the converted stack';
    if (!what && e.type === 'file' && hash(join(mounted, path)) !== hash(join(legacy, path))) what = 'content differs';
    if (what) differences.push({ path: `/${path}`, what });
  }
  for (const path of left.keys()) if (!right.has(path)) differences.push({ path: `/${path}`, what: 'not in the legacy root' });
  return { image, identical: differences.length === 0, compared: right.size, differences: differences.slice(0, MAX_DIFFERENCES) };
}

/** Refuse an engine this build cannot mount with, before any work is done. */
export function checkEngine(engine: string): VerifyEngine {
  if (engine === 'kernel') return engine;
  // ovl-fuse lands on its own branch; until it is merged there is nothing to mount with.
  if (engine === 'fuse') throw new UsageError('--verify-with fuse: ovl-fuse is not available in this build yet; use --verify-with kernel');
  throw new UsageError(`--verify-with ${engine}: expected kernel or fuse`);
}

/** Mount `lowers` (top first) read-only and compare with `legacy`. */
export async function verifyStack(image: string, lowers: string[], legacy: string, engine: VerifyEngine): Promise<VerifyResult> {
  checkEngine(engine);
  const scratch = mkdtempSync(join(tmpdir(), 'ovl-dedup-verify-'));
  try {
    const merged = join(scratch, 'merged');
    const empty = join(scratch, 'empty');
    mkdirSync(merged);
    mkdirSync(empty);
    // The kernel needs two lowers when there is no upper; an empty bottom layer changes nothing.
    const lowerdirs = lowers.length > 1 ? lowers : [...lowers, empty];
    return await withMount({ lowerdirs, datadirs: [], extra: {} }, merged, () => compareTrees(image, merged, legacy));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
