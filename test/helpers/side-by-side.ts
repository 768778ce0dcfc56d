// Running one case on two targets side by side: the kernel's overlay and ovl-fuse, each on fresh
// copies of the same layers, with the same steps through the mount, then the upper each left read
// back (test/fuse/metacopy.test.ts, test/fuse/data-only-layers.test.ts). Observations are plain
// JSON (errno codes, stat fields that repeat across runs, inode numbers as relations) so that a
// failure's diff reads.
import { createHash } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readSync, readdirSync, readFileSync, rmSync, type Stats, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Test } from 'tap';
import { OverlayXattrs, escapePath } from '../../src/format/index.js';
import { getXattr, listXattrs, setXattr, umountSurely } from '../../src/sys/index.js';
import { type LayerDirs, type Teardowns, layerDirs } from './layers.js';
import { remountAs } from './twin.js';

/** The overlay's own xattr names (trusted.overlay.*), from the one home of the format. */
export const OVL = new OverlayXattrs(false);

/** Lower files are this big so a sparse metadata-only copy (st_blocks < size) is told from a full one:
 * ext4 counts an external xattr block in st_blocks, which a 9-byte file's blocks could not exceed. */
export const SIZE = 20000;
/** A fixed mtime for every lower file, so stat's mtime is the same on both targets' fresh layers. */
export const T0 = 1_600_000_000;
/** The time the utimes case sets. */
export const T1 = 1_000_000_000;

export type Target = 'kernel' | 'fuse';
export const TARGETS: readonly Target[] = ['kernel', 'fuse'];

export interface Case<T> {
  lowers?: number;
  /** Make the layers (may mount the kernel's overlay itself to write an upper). */
  fill(d: LayerDirs): void | Promise<void>;
  /** Mount `target` on d.merged; default: remountAs with `options`. One option string for both: mountWith (mount-target.ts). */
  mount?(t: Teardowns, target: Target, d: LayerDirs): Promise<void>;
  options?: string;
  /** Steps and observations through the mount; `remount` unmounts and mounts the same target again. */
  run(d: LayerDirs, remount: () => Promise<void>): T | Promise<T>;
}

/** What one target showed: its observations and, read after unmount, its upper. */
export interface Run<T> {
  seen: T;
  upper: Record<string, UpperEntry>;
}

/**
 * For each target: fresh layers, mounted, `run`, unmounted, the upper read. A target that does not
 * mount is reported as a failure of its own (with the daemon's error line), not as a throw, so the
 * kernel's side still runs and the subtest ends cleanly.
 */
export async function onEach<T>(t: Test, name: string, c: Case<T>, prefix = 'ovlkit-metacopy'): Promise<Partial<Record<Target, Run<T>>>> {
  const runs: Partial<Record<Target, Run<T>>> = {};
  for (const target of TARGETS) {
    const d = layerDirs(t, c.lowers ?? 1, `${prefix}-${name}-${target}-`);
    await c.fill(d);
    const mount = () => (c.mount ? c.mount(t, target, d) : remountAs(t, target, d, c.options));
    try {
      await mount();
    } catch (err) {
      t.fail(`${target}: ${(err as Error).message}`);
      continue;
    }
    try {
      const seen = await c.run(d, async () => {
        await umountSurely(d.merged);
        // The kernel refuses a workdir another mount left busy-looking (as remountAs does).
        rmSync(join(d.work, 'work'), { recursive: true, force: true });
        await mount();
      });
      await umountSurely(d.merged);
      runs[target] = { seen, upper: upperState(d.upper) };
    } finally {
      await umountSurely(d.merged);
    }
  }
  return runs;
}

/** ovl-fuse's run against the kernel's: the same observations and the same upper on disk. */
export function sameAsKernel<T>(t: Test, runs: Partial<Record<Target, Run<T>>>): void {
  const { kernel, fuse } = runs;
  if (!kernel || !fuse) return; // onEach has already failed the subtest
  t.same(fuse.seen, kernel.seen, 'through the mount, as on the kernel');
  t.same(fuse.upper, kernel.upper, 'the upper on disk, as the kernel leaves it');
}

/** The errno code of what `fn` threw (ENOENT, EPERM…), or its result. */
export function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (err) {
    return { error: (err as { code?: string }).code ?? String(err) };
  }
}

/** 'ok' when `fn` returned, or the errno code it threw: one step's result. */
export const done = (fn: () => unknown) => attempt(() => (fn(), 'ok'));

/** Short contents as text; long ones as length and hash (equal data, equal string). */
export function describe(data: Buffer): string {
  if (data.length <= 32) return JSON.stringify(data.toString('latin1'));
  return `${data.length} bytes sha256:${createHash('sha256').update(data).digest('hex').slice(0, 16)}`;
}

/** An mtime as one of the times the layers were given, or 'now' for one a write set (never equal across runs). */
export const timeName = (ms: number) => (ms === T0 * 1000 ? 'T0' : ms === T1 * 1000 ? 'T1' : 'now');

/** The stat fields that are the same for the same layers on any run (inode numbers apart: inodeClasses). */
export function statFields(st: Stats) {
  return { size: st.size, blocks: st.blocks, mode: st.mode.toString(8), nlink: st.nlink, uid: st.uid, gid: st.gid, mtime: timeName(st.mtimeMs) };
}

/** One name through the mount: stat, contents and listxattr, each an errno when refused. */
export function observeName(p: string) {
  return {
    stat: attempt(() => statFields(lstatSync(p))),
    data: attempt(() => describe(readFileSync(p))),
    listxattr: attempt(() => listXattrs(p).sort()),
  };
}

/** readdir of a dir through the mount (sorted: which names, not their order), or its errno. */
export const listing = (p: string) => attempt(() => readdirSync(p).sort());

/**
 * Inode numbers as relations: each label maps to the first label (in the given order) whose path
 * has the same st_ino, so "the copy keeps the lower's number" or "two links, one inode" read the
 * same on both targets while the raw numbers differ. Unreachable paths are left out.
 */
export function inodeClasses(paths: Array<[string, string]>): Record<string, string> {
  const first = new Map<number, string>();
  const out: Record<string, string> = {};
  for (const [label, p] of paths) {
    let ino: number;
    try {
      ino = lstatSync(p).ino;
    } catch {
      continue;
    }
    if (!first.has(ino)) first.set(ino, label);
    out[label] = first.get(ino)!;
  }
  return out;
}

/** Observe `names` under the mount, with their inode relations to the lower files they came from. */
export function observeNames(d: LayerDirs, names: string[], lowerNames: string[]) {
  const lower = d.lowers[0]!;
  const byName = Object.fromEntries(names.map((n) => [n, observeName(join(d.merged, n))]));
  const ino = inodeClasses([...lowerNames.map((n): [string, string] => [`lower ${n}`, join(lower, n)]), ...names.map((n): [string, string] => [n, join(d.merged, n)])]);
  return { names: byName, ino };
}

export interface UpperFile {
  type: 'file';
  size: number;
  /** st_blocks*512 < size: the data is not all here (a metadata-only copy is a sparse file). */
  sparse: boolean;
  nlink: number;
  /** The first path (walk order) with the same upper inode. */
  inode: string;
  metacopy: string | null;
  redirect: string | null;
  origin: boolean;
}
export type UpperEntry = UpperFile | { type: 'dir' | 'whiteout' | 'other' };

/** The upper's objects after unmount: for files the size, sparseness and the overlay xattrs that metacopy is about. */
export function upperState(upper: string): Record<string, UpperEntry> {
  const out: Record<string, UpperEntry> = {};
  const firstIno = new Map<number, string>();
  const walk = (dir: string) => {
    for (const n of readdirSync(dir).sort()) {
      const p = join(dir, n);
      const rel = relative(upper, p);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out[rel] = { type: 'dir' };
        walk(p);
      } else if (st.isCharacterDevice() && st.rdev === 0) out[rel] = { type: 'whiteout' };
      else if (!st.isFile()) out[rel] = { type: 'other' };
      else {
        if (!firstIno.has(st.ino)) firstIno.set(st.ino, rel);
        out[rel] = {
          type: 'file',
          size: st.size,
          sparse: st.blocks * 512 < st.size,
          nlink: st.nlink,
          inode: firstIno.get(st.ino)!,
          metacopy: getXattr(p, OVL.name('metacopy'))?.toString('hex') ?? null,
          redirect: getXattr(p, OVL.name('redirect'))?.toString() ?? null,
          origin: getXattr(p, OVL.name('origin')) !== null,
        };
      }
    }
  };
  walk(upper);
  return out;
}

/** A lower file's contents: its name over and over, SIZE bytes (each file's data its own). */
export const dataOf = (name: string) => Buffer.alloc(SIZE, `${name}\n`);

/** Lower files `names` (paths under the top lower) with dataOf(basename) and mtime T0. */
export function lowerFiles(d: LayerDirs, names: string[]): void {
  for (const n of names) {
    const p = join(d.lowers[0]!, n);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, dataOf(n.split('/').pop()!));
    utimesSync(p, T0, T0);
  }
}

/** One name's observation out of observeNames' result (for the kernel-side checks of a case). */
export const nameObs = (seen: { names: Record<string, ReturnType<typeof observeName>> }, n: string) => seen.names[n]!;

/** The two ways to name a data-only layer: `lowerdir=L1::D1` and `lowerdir+=L1,datadir+=D1` (paths literal). */
export type DataForm = '::' | 'datadir+=';

/**
 * L1 over the data-only layer D1, with upper and metacopy=on, as one option string: the kernel gets
 * it through mount(8), ovl-fuse as its -o, the very same string.
 */
export function dataLayerOptions(d: LayerDirs, form: DataForm): string {
  const [l1, d1] = d.lowers as [string, string];
  const lowers = form === '::' ? `lowerdir=${escapePath(l1)}::${escapePath(d1)}` : `lowerdir+=${l1},datadir+=${d1}`;
  return `${lowers},upperdir=${escapePath(d.upper)},workdir=${escapePath(d.work)},metacopy=on`;
}

/** A hand-made metacopy file: sparse, SIZE long, empty metacopy xattr and, when given, a redirect. */
export function metacopyStub(p: string, redirect?: string): void {
  writeFileSync(p, '');
  truncateSync(p, SIZE);
  setXattr(p, OVL.name('metacopy'), Buffer.alloc(0));
  if (redirect !== undefined) setXattr(p, OVL.name('redirect'), redirect);
  utimesSync(p, T0, T0);
}

/** `observe` while mounted and again after the same target remounted (reading back what it wrote). */
export async function acrossRemount<T>(observe: () => T, remount: () => Promise<void>): Promise<{ mounted: T; remounted: T }> {
  const mounted = observe();
  await remount();
  return { mounted, remounted: observe() };
}

/** The overlay marks of every dir of an upper (impure, opaque, redirect): what upperState leaves out. */
export function dirMarks(upper: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const walk = (dir: string) => {
    const marks: Record<string, string> = {};
    for (const x of ['impure', 'opaque', 'redirect'] as const) {
      const v = getXattr(dir, OVL.name(x));
      if (v !== null) marks[x] = v.toString();
    }
    out[relative(upper, dir) || '.'] = marks;
    for (const n of readdirSync(dir).sort()) if (lstatSync(join(dir, n)).isDirectory()) walk(join(dir, n));
  };
  walk(upper);
  return out;
}

/** Hard links `names` of one lower file (the first name's data, mtime T0). */
export function lowerLinks(d: LayerDirs, names: string[], data: Buffer = dataOf(names[0]!)): void {
  const l = d.lowers[0]!;
  writeFileSync(join(l, names[0]!), data);
  utimesSync(join(l, names[0]!), T0, T0);
  for (const n of names.slice(1)) linkSync(join(l, names[0]!), join(l, n));
}

/** Read everything an fd holds from offset 0 (pread: the fd's position untouched). */
export function preadAll(fd: number): string {
  const b = Buffer.alloc(SIZE + 4096);
  return describe(b.subarray(0, readSync(fd, b, 0, b.length, 0)));
}
