// Ground truth for ovl-dedup's numbers, computed with the classic tools (find, du, getfattr,
// sha256sum) and the raw metadata files, never with ovlkit code.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Truth {
  entries: number;
  inodes: number;
  regularBytes: number;
  diskBytes: number;
  duBytes: number;
  maxLinks: number;
}

export interface BreakdownTruth {
  inodesByType: { file: number; dir: number; symlink: number; other: number };
  hardlinkedEntries: number;
  dirBytes: number;
}

/** Inodes by type, names sharing an inode, directory blocks: find over the same dirs. */
export function breakdownOf(dirs: string[]): BreakdownTruth {
  const out: BreakdownTruth = { inodesByType: { file: 0, dir: 0, symlink: 0, other: 0 }, hardlinkedEntries: 0, dirBytes: 0 };
  const seen = new Set<string>();
  for (const line of sh('find', [...dirs, '-printf', '%D:%i %y %b\\n']).split('\n')) {
    if (!line) continue;
    const [ino, type, blocks] = line.split(' ');
    if (seen.has(ino!)) continue;
    seen.add(ino!);
    const kind = type === 'f' ? 'file' : type === 'd' ? 'dir' : type === 'l' ? 'symlink' : 'other';
    out.inodesByType[kind]++;
    if (type === 'd') out.dirBytes += Number(blocks) * 512;
  }
  const names = new Map<string, number>();
  for (const ino of sh('find', [...dirs, '-mindepth', '1', '!', '-type', 'd', '-printf', '%D:%i\\n']).split('\n')) {
    if (ino) names.set(ino, (names.get(ino) ?? 0) + 1);
  }
  for (const n of names.values()) if (n > 1) out.hardlinkedEntries += n;
  return out;
}

const sh = (cmd: string, args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });

/** find/du over a set of layer dirs: entries below each top, inodes once, bytes and blocks once per inode. */
export function truthOf(dirs: string[]): Truth {
  if (dirs.length === 0) return { entries: 0, inodes: 0, regularBytes: 0, diskBytes: 0, duBytes: 0, maxLinks: 0 };
  const entries = sh('find', [...dirs, '-mindepth', '1', '-printf', 'x']).length;
  const seen = new Map<string, { type: string; size: number; blocks: number; links: number }>();
  for (const line of sh('find', [...dirs, '-printf', '%D:%i %y %s %b %n\\n']).split('\n')) {
    if (!line) continue;
    const [ino, type, size, blocks, links] = line.split(' ');
    seen.set(ino!, { type: type!, size: Number(size), blocks: Number(blocks), links: Number(links) });
  }
  let regularBytes = 0;
  let diskBytes = 0;
  let maxLinks = 0;
  for (const v of seen.values()) {
    if (v.type === 'f') regularBytes += v.size;
    diskBytes += v.blocks * 512;
    if (v.type !== 'd') maxLinks = Math.max(maxLinks, v.links);
  }
  const du = sh('du', ['-scB1', ...dirs]).trim().split('\n').pop()!;
  return { entries, inodes: seen.size, regularBytes, diskBytes, duBytes: Number(du.split('\t')[0]), maxLinks };
}

export interface LayerDirs {
  /** cache-id → data dir of every layerdb layer */
  image: Map<string, string>;
  container: string[];
  /** cache-id → layerdb size */
  sizes: Map<string, number>;
}

/** Layer data dirs straight from layerdb's cache-id files and layerdb/mounts. */
export function layerDirsOf(root: string, driver: 'overlay' | 'overlay2'): LayerDirs {
  const db = join(root, 'image', driver, 'layerdb');
  const image = new Map<string, string>();
  const sizes = new Map<string, number>();
  for (const hex of readdirSync(join(db, 'sha256'))) {
    const id = readFileSync(join(db, 'sha256', hex, 'cache-id'), 'utf8').trim();
    image.set(id, join(root, driver, id, driver === 'overlay' ? 'root' : 'diff'));
    sizes.set(id, Number(readFileSync(join(db, 'sha256', hex, 'size'), 'utf8')));
  }
  const container: string[] = [];
  for (const c of existsSync(join(db, 'mounts')) ? readdirSync(join(db, 'mounts')) : []) {
    for (const f of ['init-id', 'mount-id']) {
      const id = readFileSync(join(db, 'mounts', c, f), 'utf8').trim();
      container.push(join(root, driver, id, driver === 'overlay' ? 'upper' : 'diff'));
    }
  }
  return { image, container, sizes };
}

/** Paths, types, inodes, ctimes, mtimes, modes, owners, sizes, link counts, targets and xattrs of a tree. */
export function fingerprint(root: string): string {
  const stat = sh('find', [root, '-printf', '%p %y %i %C@ %T@ %m %U %G %s %n %l\\n']).split('\n').sort().join('\n');
  const xattrs = sh('getfattr', ['-R', '-h', '--absolute-names', '-d', '-m', '-', '-e', 'hex', root]);
  return `${stat}\n--\n${xattrs}`;
}

export interface DupTruth {
  groups: number;
  redundantInodes: number;
  redundantBytes: number;
}

/** Content duplicates by sha256sum over distinct non-empty regular inodes whose sizes collide. */
export function duplicateTruth(dirs: string[]): DupTruth {
  const bySize = new Map<number, Map<string, string>>();
  for (const line of sh('find', [...dirs, '-type', 'f', '-size', '+0', '-printf', '%D:%i %s %p\\n']).split('\n')) {
    if (!line) continue;
    const [ino, size, ...rest] = line.split(' ');
    const group = bySize.get(Number(size)) ?? new Map<string, string>();
    bySize.set(Number(size), group);
    if (!group.has(ino!)) group.set(ino!, rest.join(' '));
  }
  const sizeOfPath = new Map<string, number>();
  for (const [size, group] of bySize) if (group.size > 1) for (const path of group.values()) sizeOfPath.set(path, size);
  const byContent = new Map<string, { size: number; n: number }>();
  const sums = sizeOfPath.size > 0 ? sh('sha256sum', [...sizeOfPath.keys()]) : '';
  for (const line of sums.split('\n')) {
    if (!line) continue;
    const hash = line.slice(0, 64);
    const size = sizeOfPath.get(line.slice(66))!;
    const g = byContent.get(`${size}:${hash}`) ?? { size, n: 0 };
    g.n++;
    byContent.set(`${size}:${hash}`, g);
  }
  const groups = [...byContent.values()].filter((g) => g.n > 1);
  return {
    groups: groups.length,
    redundantInodes: groups.reduce((a, g) => a + g.n - 1, 0),
    redundantBytes: groups.reduce((a, g) => a + (g.n - 1) * g.size, 0),
  };
}

/**
 * Directories bigger than one 4 KiB block (ext4 htrees) below `dirs`. How many blocks an htree
 * takes depends on the order names were inserted (leaves split by hash), which no estimate can
 * know: each such directory may differ by a block between two layouts of the same names.
 */
export function htreeDirs(dirs: string[]): number {
  if (dirs.length === 0) return 0;
  return sh('find', [...dirs, '-type', 'd', '-size', '+4k', '-printf', 'x']).length;
}
