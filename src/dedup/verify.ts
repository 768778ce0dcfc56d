// verify: mount each converted stack read-only and compare it with the legacy `root/` it came
// from: paths, types, modes, owners, sizes, symlink targets, device numbers, mtimes, xattrs and
// content hashes. Mount points are private temp dirs, always unmounted. The kernel mounts through
// src/sys; `fuse` runs this package's ovl-fuse.
import { mkdirSync, mkdtempSync, rmSync } from '../sys/fs-bytes.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argsEnv } from '../sys/raw-args.js';
import { OvlError, UsageError } from '../errors.js';
import { formatMountOptions, type MountOptions } from '../format/index.js';
import { firstLine, inodeFlagsOf, runTool, umountSurely, withMount } from '../sys/index.js';
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

/**
 * The chattr flags (lsattr's letters as FS_IOC_GETFLAGS bits) of a file or dir in both trees when
 * they differ, outside `ignored`; null when equal. A copy that lost +i would let a container
 * delete what the legacy one could not.
 */
function flagsDifference(e: Entry, mounted: string, legacy: string, ignored: number): string | null {
  if (e.type !== 'file' && e.type !== 'dir') return null;
  const [a, b] = [inodeFlagsOf(mounted) & ~ignored, inodeFlagsOf(legacy) & ~ignored];
  return a === b ? null : `inode flags: converted 0x${a.toString(16)}, legacy 0x${b.toString(16)}`;
}

/**
 * Compare the tree at `mounted` with the legacy `root/` at `legacy`; `ignoredFlags`: inode flags
 * not compared (--remove-legacy asks to clear +i/+a on the legacy side only).
 */
export async function compareTrees(image: string, mounted: string, legacy: string, ignoredFlags = 0): Promise<VerifyResult> {
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
    if (!what) what = flagsDifference(e, join(mounted, path), join(legacy, path), ignoredFlags);
    if (what) differences.push({ path: `/${path}`, what });
  }
  for (const path of left.keys()) if (!right.has(path)) differences.push({ path: `/${path}`, what: 'not in the legacy root' });
  return { image, identical: differences.length === 0, compared: right.size, differences: differences.slice(0, MAX_DIFFERENCES) };
}

export function checkEngine(engine: string): VerifyEngine {
  if (engine === 'kernel' || engine === 'fuse') return engine;
  throw new UsageError(`--verify-with ${engine}: expected kernel or fuse`);
}

const OVL_FUSE = fileURLToPath(new URL('../../bin/ovl-fuse', import.meta.url));

/** Mount with this package's ovl-fuse (it detaches once the mount is live). */
async function mountFuse(options: MountOptions, merged: string): Promise<void> {
  const args = ['-o', formatMountOptions(options), merged];
  // A layer path that is not UTF-8 reaches ovl-fuse whole through its environment (spawn sends argv as UTF-8).
  const r = await runTool(process.execPath, [OVL_FUSE, ...args], { timeoutMs: 60_000, env: argsEnv(args) });
  if (r.exitCode === 0) return;
  // A build without a working ovl-fuse (its CLI answering "not implemented") cannot verify this way.
  if (/not implemented/.test(r.stderr)) throw new UsageError('--verify-with fuse: ovl-fuse is not available in this build yet; use --verify-with kernel');
  throw new OvlError('EIO', `ovl-fuse could not mount the stack: ${firstLine(r)}`, { path: merged });
}

/** Mount `lowers` (top first) read-only for the duration of `fn`; always unmounted. */
async function withStack<T>(lowers: string[], engine: VerifyEngine, fn: (merged: string) => Promise<T>, parent = tmpdir()): Promise<T> {
  const scratch = mkdtempSync(join(parent, 'ovl-dedup-verify-'));
  try {
    const merged = join(scratch, 'merged');
    mkdirSync(merged);
    // The kernel needs two lowers when there is no upper; empty bottom layers change nothing.
    const lowerdirs = [...lowers];
    while (lowerdirs.length < 2) {
      lowerdirs.push(join(scratch, `empty${lowerdirs.length}`));
      mkdirSync(lowerdirs[lowerdirs.length - 1]!);
    }
    const options: MountOptions = { lowerdirs, datadirs: [], extra: {} };
    if (engine === 'kernel') return await withMount(options, merged, () => fn(merged));
    await mountFuse(options, merged);
    try {
      return await fn(merged);
    } finally {
      await umountSurely(merged);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Refuse an engine this build cannot mount with (a trial mount of an empty stack), before any work is done. */
export async function probeEngine(engine: string): Promise<VerifyEngine> {
  const e = checkEngine(engine);
  await withStack([], e, async () => undefined);
  return e;
}

/**
 * Mount `lowers` (top first) read-only and compare with `legacy`. The mount point is a temp dir
 * below `scratch` (default: the system's temp dir).
 */
export async function verifyStack(image: string, lowers: string[], legacy: string, engine: VerifyEngine, scratch?: string, ignoredFlags = 0): Promise<VerifyResult> {
  return withStack(lowers, engine, (merged) => compareTrees(image, merged, legacy, ignoredFlags), scratch);
}
