// Generated Docker data roots for fast tests and for edge cases dockerd will not produce on demand:
// the metadata files exactly as moby 20.10 lays them out (repositories.json, imagedb, layerdb with
// chain IDs), and layer dirs either as legacy full trees (regular files hard-linked to the parent,
// everything else recreated, as the driver's copy does) or as overlay2 diffs.
import { createHash } from 'node:crypto';
// Layer trees' names as bytes (src/format/byte-names.ts).
import { linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync, chmodSync, lchownSync } from '../sys/fs-bytes.js';
import { join } from 'node:path';
import { chainIds } from './chain.js';
import { mknod, setTimes } from '../sys/index.js';

export interface FakeLayer {
  /** cache ID (driver dir name) */
  id: string;
  /** fills a legacy full tree (already holding the parent's tree) or an overlay2 diff dir */
  build: (dir: string) => void;
}

export interface FakeImage {
  tags: string[];
  layers: FakeLayer[];
  /** an untagged image that is another image's parent (a classic-builder intermediate) */
  parentOf?: string;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The legacy driver's hard-link copy of a parent root into a new layer root. */
export function copyHardlinked(src: string, dest: string): void {
  const st = lstatSync(src, { bigint: true });
  mkdirSync(dest);
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const d = join(dest, name);
    const e = lstatSync(s, { bigint: true });
    if (e.isDirectory()) copyHardlinked(s, d);
    else if (e.isFile()) linkSync(s, d);
    else {
      if (e.isSymbolicLink()) symlinkSync(readlinkSync(s), d);
      else mknod(d, Number(e.mode), e.rdev);
      lchownSync(d, Number(e.uid), Number(e.gid));
      if (!e.isSymbolicLink()) chmodSync(d, Number(e.mode) & 0o7777);
      setTimes(d, 'omit', { sec: e.mtimeNs / 1_000_000_000n, nsec: Number(e.mtimeNs % 1_000_000_000n) });
    }
  }
  lchownSync(dest, Number(st.uid), Number(st.gid));
  chmodSync(dest, Number(st.mode) & 0o7777);
  setTimes(dest, 'omit', { sec: st.mtimeNs / 1_000_000_000n, nsec: Number(st.mtimeNs % 1_000_000_000n) });
}

function layerDir(root: string, driver: 'overlay' | 'overlay2', id: string): string {
  return join(root, driver, id, driver === 'overlay' ? 'root' : 'diff');
}

/** Write a data root with `images` for `driver`; layers shared by several images are built once. */
export function writeFakeRoot(root: string, driver: 'overlay' | 'overlay2', images: FakeImage[]): void {
  const imageDir = join(root, 'image', driver);
  for (const d of ['imagedb/content/sha256', 'imagedb/metadata/sha256', 'layerdb/sha256']) mkdirSync(join(imageDir, d), { recursive: true });
  mkdirSync(join(root, driver, driver === 'overlay2' ? 'l' : ''), { recursive: true });
  const built = new Set<string>();
  const repos: Record<string, Record<string, string>> = {};
  const ids = new Map<FakeImage, string>();
  for (const img of images) {
    const diffIds = img.layers.map((l) => `sha256:${sha(`diff-${l.id}`)}`);
    const chains = chainIds(diffIds);
    img.layers.forEach((layer, i) => {
      if (built.has(layer.id)) return;
      built.add(layer.id);
      const dir = layerDir(root, driver, layer.id);
      mkdirSync(join(root, driver, layer.id), { recursive: true });
      if (driver === 'overlay' && i > 0) copyHardlinked(layerDir(root, driver, img.layers[i - 1]!.id), dir);
      else mkdirSync(dir);
      layer.build(dir);
      const db = join(imageDir, 'layerdb', 'sha256', chains[i]!.slice(7));
      mkdirSync(db);
      writeFileSync(join(db, 'cache-id'), layer.id);
      writeFileSync(join(db, 'diff'), diffIds[i]!);
      writeFileSync(join(db, 'size'), '0');
      if (i > 0) writeFileSync(join(db, 'parent'), chains[i - 1]!);
    });
    const config = JSON.stringify({ rootfs: { type: 'layers', diff_ids: diffIds }, history: [] });
    const id = `sha256:${sha(config)}`;
    ids.set(img, id);
    writeFileSync(join(imageDir, 'imagedb', 'content', 'sha256', id.slice(7)), config);
    for (const tag of img.tags) (repos[tag.split(':')[0]!] ??= {})[tag] = id;
  }
  for (const img of images) {
    const child = images.find((i) => i.tags.includes(img.parentOf ?? '\0'));
    if (!child) continue;
    const meta = join(imageDir, 'imagedb', 'metadata', 'sha256', ids.get(child)!.slice(7));
    mkdirSync(meta, { recursive: true });
    writeFileSync(join(meta, 'parent'), ids.get(img)!);
  }
  writeFileSync(join(imageDir, 'repositories.json'), JSON.stringify({ Repositories: repos }));
}

/**
 * Add to the legacy root `root` a container `id` whose -init and read-write layers are `rw`-init
 * and `rw` on the image layer `lowerId` (layerdb mounts/, overlay/<rw>/{upper,work,lower-id}), and
 * its config.v2.json holding `config`.
 */
export function addLegacyContainer(root: string, id: string, rw: string, lowerId: string, config: string): void {
  const mounts = join(root, 'image', 'overlay', 'layerdb', 'mounts', id);
  mkdirSync(mounts, { recursive: true });
  writeFileSync(join(mounts, 'mount-id'), rw);
  writeFileSync(join(mounts, 'init-id'), `${rw}-init`);
  for (const layer of [rw, `${rw}-init`]) {
    mkdirSync(join(root, 'overlay', layer, 'upper'), { recursive: true });
    mkdirSync(join(root, 'overlay', layer, 'work'));
    writeFileSync(join(root, 'overlay', layer, 'lower-id'), lowerId);
  }
  mkdirSync(join(root, 'containers', id), { recursive: true });
  writeFileSync(join(root, 'containers', id, 'config.v2.json'), config);
}
