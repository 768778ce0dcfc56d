// Generates the lower layers of the FUSE workloads. Layer dirs are named 0..L-1, 0 = top lower.
// Everything is a pure function of the sizes, so the expected answers (entry counts, name sets)
// are computed here too and the workloads check against them.
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWhiteout } from '../sys/index.js';
import type { Sizes } from './sizes.js';

/** Every small file holds these 64 bytes, so a walk can check sizes. */
export const SMALL_SIZE = 64;
const SMALL = Buffer.alloc(SMALL_SIZE, 'x');
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** The file paths of the walk tree: d00..d19/e00..e19/fNNN, files/400 per leaf dir. */
export function treePaths(files: number): string[] {
  const per = Math.max(1, Math.round(files / 400));
  const out: string[] = [];
  for (let a = 0; a < 20; a++) for (let b = 0; b < 20; b++) for (let c = 0; c < per; c++) out.push(`d${pad(a, 2)}/e${pad(b, 2)}/f${pad(c, 3)}`);
  return out;
}

/** Entries `find MERGED` prints for the tree: root, 20 + 400 dirs, the files. */
export function treeEntries(files: number): number {
  return 1 + 20 + 400 + treePaths(files).length;
}

class Maker {
  private readonly made = new Set<string>();
  dir(d: string): void {
    if (this.made.has(d)) return;
    mkdirSync(d, { recursive: true });
    this.made.add(d);
  }
  file(f: string, data: Buffer): void {
    this.dir(join(f, '..'));
    writeFileSync(f, data);
  }
}

/** The tree with file k in lower k % L (L = 1 is the plain walk tree); dirs wherever needed. */
export function genTree(dir: string, files: number, layers: number): void {
  const m = new Maker();
  for (let l = 0; l < layers; l++) m.dir(join(dir, String(l)));
  treePaths(files).forEach((p, k) => m.file(join(dir, String(k % layers), p), SMALL));
}

/** Names of the readdir dir: visible ones, and which names a whiteout hides (the first `hidden` below the top). */
export function readdirPlan(visible: number, hidden: number): { name: string; layer: number; hide: boolean }[] {
  const plan: { name: string; layer: number; hide: boolean }[] = [];
  let h = 0;
  for (let i = 0; i < visible + hidden; i++) {
    const layer = i % 4;
    const hide = h < hidden && layer > 0;
    if (hide) h++;
    plan.push({ name: `n${pad(i, 6)}`, layer, hide });
  }
  return plan;
}

export function readdirExpected(visible: number, hidden: number): string[] {
  return readdirPlan(visible, hidden).filter((p) => !p.hide).map((p) => p.name).sort();
}

/** big/ over 4 lowers; each hidden name has a kernel whiteout (char 0/0) in the lower just above it. */
export function genReaddir(dir: string, visible: number, hidden: number): void {
  const m = new Maker();
  for (let l = 0; l < 4; l++) m.dir(join(dir, String(l), 'big'));
  let template = '';
  for (const p of readdirPlan(visible, hidden)) {
    m.file(join(dir, String(p.layer), 'big', p.name), SMALL);
    if (!p.hide) continue;
    const wh = join(dir, String(p.layer - 1), 'big', p.name);
    // Hard links of one whiteout, as the kernel shares them: cheaper to make than 1,000 mknods.
    if (template === '') makeWhiteout((template = wh));
    else linkSync(template, wh);
  }
}

/** The content of copy-up file i (the same for all): a cheap non-constant pattern. */
export function copyupContent(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) buf.writeUInt32LE((i * 2654435761) >>> 0, i);
  return buf;
}

export function copyupNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `c${pad(i, 4)}`);
}

export function genCopyup(dir: string, n: number, bytes: number): void {
  const m = new Maker();
  const data = copyupContent(bytes);
  for (const name of copyupNames(n)) m.file(join(dir, '0', 'cu', name), data);
}

/** out/ exists in the lower with three files, so create writes into a merged (not upper-only) dir. */
export const CREATE_PRE = ['pre0', 'pre1', 'pre2'];
export function genCreate(dir: string): void {
  const m = new Maker();
  for (const name of CREATE_PRE) m.file(join(dir, '0', 'out', name), SMALL);
}

/** Everything but readseq/untar (see gen-files.ts), for the given sizes. */
export function genAllTrees(root: string, s: Sizes): void {
  genTree(join(root, 'walk'), s.walkFiles, 1);
  for (const L of s.deepLayers) if (L > 1) genTree(deepDir(root, L), s.walkFiles, L);
  genReaddir(join(root, 'readdir'), s.readdirVisible, s.readdirHidden);
  genCopyup(join(root, 'copyup'), s.copyupFiles, s.copyupBytes);
  genCreate(join(root, 'create'));
}

/** The lower dirs 0..L-1 of a generated stack, top first. */
export function lowersOf(dir: string, layers: number): string[] {
  return Array.from({ length: layers }, (_, l) => join(dir, String(l)));
}

/** Where the L-lower stack of the walk tree lives (L = 1 is the walk tree itself). */
export function deepDir(root: string, layers: number): string {
  return join(root, layers === 1 ? 'walk' : `deep${layers}`);
}
