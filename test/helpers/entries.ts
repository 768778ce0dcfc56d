// Hand-made layer entries for the pure dedup stages: every field has a plain default, so a test
// states only what matters to it.
import { ContentHashes } from '../../src/dedup/content-hashes.js';
import { INODE_IDS } from '../../src/dedup/inode-ids.js';
import type { DiffItem, Discovery, Entry, LayerRef, LayerScan } from '../../src/dedup/types.js';

let nextInode = 1000;

/** `e` with its `inode` key numbered (give a changed copy of an entry a new `inode` through this). */
export function numbered(e: Omit<Entry, 'id'> & { id?: number }): Entry {
  return { ...e, id: INODE_IDS.ofKey(e.inode) };
}

export function entry(path: string, over: Partial<Entry> = {}): Entry {
  const type = over.type ?? (path.endsWith('/') ? 'dir' : 'file');
  return numbered({
    path: path.replace(/\/$/, ''),
    type,
    perm: type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644,
    uid: 0,
    gid: 0,
    size: type === 'dir' ? 4096 : 0,
    blocks: type === 'dir' ? 8 : 0,
    inode: `1:${nextInode++}`,
    nlink: 1,
    mtimeNs: 1_000_000_000n,
    atimeNs: 1_000_000_000n,
    rdev: 0,
    target: '',
    xattrs: [],
    ...over,
  });
}

export function file(path: string, size: number, over: Partial<Entry> = {}): Entry {
  return entry(path, { type: 'file', size, blocks: Math.ceil(size / 4096) * 8, ...over });
}

export function dir(path: string, over: Partial<Entry> = {}): Entry {
  return entry(path, { type: 'dir', ...over });
}

export function scan(entries: Entry[], dirPath = '/layer'): LayerScan {
  return { dir: dirPath, top: dir('', { inode: `top:${nextInode++}` }), entries: [...entries].sort((a, b) => (a.path < b.path ? -1 : 1)) };
}

/** A child tree: the same entries (regular files keep their inode, as legacy hard links do; other types get new ones). */
export function chainFrom(parent: LayerScan): Entry[] {
  return parent.entries.map((e) => (e.type === 'file' ? { ...e } : numbered({ ...e, inode: `1:${nextInode++}` })));
}

/** Short form of a diff for assertions: 'path' (entry), '-path' (whiteout), 'path/*' (opaque dir). */
export function shortDiff(items: DiffItem[]): string[] {
  return items.map((i) => (i.whiteout ? `-${i.path}` : i.opaque ? `${i.path}/*` : i.path));
}

/** Content hashes keyed as the analysis keys them (inode id), given by hand-made `inode` keys and hex hashes. */
export function hashesOf(pairs: Array<[string, string]>): ContentHashes {
  return ContentHashes.fromHex(pairs.map(([inode, hash]) => [INODE_IDS.ofKey(inode), hash]));
}

/**
 * A data root with one legacy store of two layers, `aaaa` under `bbbb` (40 bytes each, in
 * /data/overlay), and `images` on them, their IDs sha256:cccc…, sha256:dddd… in the order given:
 * the renderings' tests give it their own scans of the two layers.
 */
export function twoLayerLegacyRoot(images: Array<{ name: string; layers: string[] }>): Discovery {
  const layer = (cacheId: string, parent: string): LayerRef => ({
    cacheId, chainId: `sha256:${cacheId.padEnd(64, '0')}`, diffId: '', size: 40, role: 'image', dir: `/data/overlay/${cacheId}/root`, parent,
  });
  return {
    root: '/data',
    stores: [{
      driver: 'overlay', path: '/data/overlay',
      layers: new Map([['aaaa', layer('aaaa', '')], ['bbbb', layer('bbbb', 'aaaa')]]),
      images: images.map((img, i) => ({ names: [img.name], id: `sha256:${'cdefgh'[i]!.repeat(64)}`, layers: img.layers })),
      containers: [], orphans: [], linkLimit: 65000,
    }],
    warnings: [],
  };
}
