// Generates a Docker overlay2 data root for the dedup scan: one chain of layers (two images share
// its lower half), every layer a diff with files, dirs and char 0/0 whiteouts. Content is planned
// so the true duplicate groups are known exactly: pool files repeat across layers, every other
// file is unique, and sizes collide on purpose so a tool must hash to tell them apart.
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWhiteout } from '../sys/index.js';

export interface DedupExpect {
  /** entries below the layers' diff dirs (files, dirs, whiteouts), each layer counted once */
  entries: number;
  files: number;
  groups: number;
  redundantFiles: number;
  redundantBytes: number;
  images: number;
  /** the diff dirs, bottom first: what jdupes and rdfind get */
  diffDirs: string[];
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const shortId = (s: string) => Array.from(createHash('sha256').update(s).digest().subarray(0, 26), (b) => BASE32[b & 31]).join('');

const POOL = 500;
/** 128 sizes, 64..1080 bytes: many files share a size, so size alone never settles a duplicate. */
const sizeOf = (id: number) => 64 + (id % 128) * 8;

/** Deterministic content of `size` bytes starting with a tag that makes it distinct. */
function content(tag: string, size: number): Buffer {
  const buf = Buffer.alloc(size, tag.length % 26 + 97);
  buf.write(tag.slice(0, size), 0);
  return buf;
}

interface Counter {
  entries: number;
  files: number;
  pool: Map<number, number>;
}

function writeLayer(diff: string, k: number, perLayer: number, c: Counter): void {
  const dirs = Math.max(1, Math.round(perLayer / 100));
  const filesPerDir = Math.max(1, Math.round(perLayer / dirs) - 1);
  for (let d = 0; d < dirs; d++) {
    const dir = join(diff, `d${String(d).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    c.entries++;
    for (let j = 0; j < filesPerDir; j++) {
      const n = d * filesPerDir + j;
      const path = join(dir, `k${k}-f${j}`);
      // In layers above the base, every 50th name deletes the layer below's file of that name.
      if (k > 0 && j % 50 === 49) {
        makeWhiteout(join(dir, `k${k - 1}-f${j}`));
        c.entries++;
      }
      if (n % 4 === 0) {
        const p = (n / 4 + k * 7) % POOL;
        writeFileSync(path, content(`pool-${p}`, sizeOf(p)));
        c.pool.set(p, (c.pool.get(p) ?? 0) + 1);
      } else {
        const id = k * 10_000_000 + n;
        writeFileSync(path, content(`uniq-${id}`, sizeOf(id)));
      }
      c.entries++;
      c.files++;
    }
  }
}

/** Layer metadata as dockerd writes it: layerdb entry, driver dir with link/lower, l/ short link. */
function registerLayer(root: string, k: number, diffId: string, chain: string, parentChain: string, lowers: string[]): string {
  const cacheId = sha(`cache-${k}`);
  const link = shortId(`link-${k}`);
  const drv = join(root, 'overlay2', cacheId);
  mkdirSync(join(drv, 'diff'), { recursive: true });
  writeFileSync(join(drv, 'link'), link);
  if (lowers.length > 0) {
    writeFileSync(join(drv, 'lower'), lowers.join(':'));
    mkdirSync(join(drv, 'work'));
  }
  symlinkSync(`../${cacheId}/diff`, join(root, 'overlay2', 'l', link));
  const db = join(root, 'image', 'overlay2', 'layerdb', 'sha256', chain.slice(7));
  mkdirSync(db, { recursive: true });
  writeFileSync(join(db, 'cache-id'), cacheId);
  writeFileSync(join(db, 'diff'), diffId);
  writeFileSync(join(db, 'size'), '0');
  if (parentChain) writeFileSync(join(db, 'parent'), parentChain);
  return `l/${link}`;
}

/** The image config (its sha256 is the image ID) and its imagedb entries; returns the ID. */
function writeImage(root: string, diffIds: string[]): string {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, history: diffIds.map(() => ({ created_by: 'bench' })) });
  const id = sha(config);
  const img = join(root, 'image', 'overlay2', 'imagedb');
  mkdirSync(join(img, 'content', 'sha256'), { recursive: true });
  mkdirSync(join(img, 'metadata', 'sha256', id), { recursive: true });
  writeFileSync(join(img, 'content', 'sha256', id), config);
  writeFileSync(join(img, 'metadata', 'sha256', id, 'lastUpdated'), '2026-11-26T00:00:00Z');
  return `sha256:${id}`;
}

/** Write the root; returns what a correct duplicate finder must report for it. */
export function genDockerRoot(root: string, entries: number, layers: number): DedupExpect {
  mkdirSync(join(root, 'overlay2', 'l'), { recursive: true });
  const c: Counter = { entries: 0, files: 0, pool: new Map() };
  const diffIds: string[] = [];
  const chains: string[] = [];
  const lowers: string[] = [];
  const diffDirs: string[] = [];
  for (let k = 0; k < layers; k++) {
    const diffId = `sha256:${sha(`diff-${k}`)}`;
    const chain = k === 0 ? diffId : `sha256:${sha(`${chains[k - 1]} ${diffId}`)}`;
    const link = registerLayer(root, k, diffId, chain, chains[k - 1] ?? '', lowers);
    const diff = join(root, 'overlay2', sha(`cache-${k}`), 'diff');
    writeLayer(diff, k, Math.ceil(entries / layers), c);
    diffIds.push(diffId);
    chains.push(chain);
    lowers.unshift(link);
    diffDirs.push(diff);
  }
  const half = Math.max(1, layers >> 1);
  const base = writeImage(root, diffIds.slice(0, half));
  const app = writeImage(root, diffIds);
  const repos = { Repositories: { 'bench/base': { 'bench/base:1': base }, 'bench/app': { 'bench/app:1': app } } };
  writeFileSync(join(root, 'image', 'overlay2', 'repositories.json'), JSON.stringify(repos));
  const dup = [...c.pool.entries()].filter(([, n]) => n > 1);
  return {
    entries: c.entries,
    files: c.files,
    groups: dup.length,
    redundantFiles: dup.reduce((s, [, n]) => s + n - 1, 0),
    redundantBytes: dup.reduce((s, [p, n]) => s + (n - 1) * sizeOf(p), 0),
    images: 2,
    diffDirs,
  };
}
