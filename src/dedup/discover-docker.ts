// Resolves one Docker graph-driver store (`overlay` or `overlay2`) of a data root: images through
// imagedb rootfs.diff_ids → chain IDs → layerdb cache-id (never by guessing from directory names),
// container layers through layerdb/mounts, and driver dirs that nothing references (orphans).
import { readlinkSync, existsSync } from '../sys/fs-bytes.js';
import { dirname, join, resolve } from 'node:path';
import { chainIds, digestHex } from './chain.js';
import { linkLimitOf } from './link-limit.js';
import { WarningLog, isDir, isJsonObject, listDir, readJson, readText } from './read-meta.js';
import type { ContainerRef, ImageRef, LayerRef, Store } from './types.js';

type DockerDriver = 'overlay' | 'overlay2';

interface ImageConfig {
  id: string;
  diffIds: string[];
}

// What moby's layer store accepts in cache-id, mount-id and init-id (layer/filestore.go,
// stringIDRegexp): anything else, `../x` above all, would name a dir outside the driver dir.
export const LAYER_ID = /^[a-f0-9]{64}(-init)?$/;

/** The trimmed layer id in `path`: '' when absent or unreadable, null (with a warning) when not a layer id. */
function readLayerId(path: string, log: WarningLog, optional = false): string | null {
  const id = readText(path, log, optional)?.trim() ?? '';
  if (id === '' || LAYER_ID.test(id)) return id;
  log.add(path, `not a layer id: ${JSON.stringify(id)} (expected 64 hex digits, optionally -init)`);
  return null;
}

/** The data dir of a layer: legacy image layers keep a full `root/`, everything else a diff. */
function layerDir(driverDir: string, driver: DockerDriver, cacheId: string, role: LayerRef['role']): string {
  if (driver === 'overlay2') return join(driverDir, cacheId, 'diff');
  return join(driverDir, cacheId, role === 'image' ? 'root' : 'upper');
}

/** Every layerdb entry, keyed by chain ID; parents resolved afterwards. */
function readLayerDb(
  imageDir: string,
  driverDir: string,
  driver: DockerDriver,
  log: WarningLog,
): { byChain: Map<string, LayerRef>; parentChain: Map<string, string> } {
  const byChain = new Map<string, LayerRef>();
  const parentChain = new Map<string, string>();
  const dbDir = join(imageDir, 'layerdb', 'sha256');
  for (const hex of listDir(dbDir, log, true)) {
    // `<hex>-<random>-removing` dirs are half-deleted layers: not part of any image any more.
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    const dir = join(dbDir, hex);
    const cacheId = readLayerId(join(dir, 'cache-id'), log);
    if (!cacheId) continue;
    const sizeText = readText(join(dir, 'size'), log, true);
    const layer: LayerRef = {
      cacheId,
      chainId: `sha256:${hex}`,
      diffId: readText(join(dir, 'diff'), log)?.trim() ?? '',
      size: sizeText === null ? 0 : Number(sizeText.trim()) || 0,
      role: 'image',
      dir: layerDir(driverDir, driver, cacheId, 'image'),
      parent: '',
    };
    if (!isDir(layer.dir)) log.add(layer.dir, `layer ${layer.chainId} has no driver dir (missing cache-id ${cacheId})`);
    byChain.set(layer.chainId, layer);
    const parent = readText(join(dir, 'parent'), log, true)?.trim();
    if (parent) parentChain.set(layer.chainId, parent);
  }
  for (const [chain, parent] of parentChain) {
    const p = byChain.get(parent);
    if (p) byChain.get(chain)!.parent = p.cacheId;
    else log.add(join(dbDir, chain.slice(7), 'parent'), `parent layer ${parent} is not in layerdb`);
  }
  return { byChain, parentChain };
}

/** Image configs (the imagedb content), with the IDs of images that have children. */
function readImageDb(imageDir: string, log: WarningLog): { configs: ImageConfig[]; parents: Set<string> } {
  const contentDir = join(imageDir, 'imagedb', 'content', 'sha256');
  const configs: ImageConfig[] = [];
  const parents = new Set<string>();
  for (const hex of listDir(contentDir, log, true)) {
    const cfg = readJson(join(contentDir, hex), log);
    if (cfg === undefined) continue;
    // `null`, an array or a number parse fine but are no config: a warning, not a silent skip.
    if (!isJsonObject(cfg)) {
      log.add(join(contentDir, hex), 'image config is not a JSON object');
      continue;
    }
    const diffIds = (cfg as { rootfs?: { diff_ids?: unknown } }).rootfs?.diff_ids;
    if (!Array.isArray(diffIds) || !diffIds.every((d) => typeof d === 'string' && digestHex(d) !== null)) {
      log.add(join(contentDir, hex), 'image config has no valid rootfs.diff_ids');
      continue;
    }
    configs.push({ id: `sha256:${hex}`, diffIds: diffIds as string[] });
    const parent = readText(join(imageDir, 'imagedb', 'metadata', 'sha256', hex, 'parent'), log, true)?.trim();
    if (parent) parents.add(parent);
  }
  return { configs, parents };
}

/** image ID → names from repositories.json (`repo:tag` and `repo@digest`). */
function readRepositories(imageDir: string, log: WarningLog): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const path = join(imageDir, 'repositories.json');
  const json = readJson(path, log, true);
  if (json === undefined) return names;
  // Valid JSON of another shape would otherwise leave every image nameless without a word.
  const repos = isJsonObject(json) ? (json.Repositories ?? {}) : null;
  if (!isJsonObject(repos)) {
    log.add(path, 'Repositories is not a JSON object: no image has a name');
    return names;
  }
  for (const [repo, refs] of Object.entries(repos)) {
    if (!isJsonObject(refs)) {
      log.add(path, `repository ${JSON.stringify(repo)} is not a JSON object`);
      continue;
    }
    for (const [ref, id] of Object.entries(refs)) {
      if (typeof id !== 'string') continue;
      names.set(id, [...(names.get(id) ?? []), ref].sort());
    }
  }
  return names;
}

/**
 * The images `docker images` lists: tagged ones, and untagged ones without children (dangling).
 * The classic builder's intermediate images are left out, as docker system df does.
 */
function resolveImages(
  imageDir: string,
  byChain: Map<string, LayerRef>,
  log: WarningLog,
): ImageRef[] {
  const { configs, parents } = readImageDb(imageDir, log);
  const names = readRepositories(imageDir, log);
  const images: ImageRef[] = [];
  for (const cfg of configs) {
    const tagged = names.get(cfg.id);
    if (!tagged && parents.has(cfg.id)) continue;
    const layers: string[] = [];
    for (const chain of chainIds(cfg.diffIds)) {
      const layer = byChain.get(chain);
      if (layer) layers.push(layer.cacheId);
      else log.add(join(imageDir, 'layerdb', 'sha256', chain.slice(7)), `image ${cfg.id} needs missing layer ${chain}`);
    }
    images.push({ names: tagged ?? ['<none>'], id: cfg.id, layers });
  }
  return images.sort((a, b) => a.names[0]!.localeCompare(b.names[0]!) || a.id.localeCompare(b.id));
}

function resolveContainers(
  imageDir: string,
  driverDir: string,
  driver: DockerDriver,
  byChain: Map<string, LayerRef>,
  layers: Map<string, LayerRef>,
  log: WarningLog,
  skipMoved: boolean,
): ContainerRef[] {
  const out: ContainerRef[] = [];
  const mountsDir = join(imageDir, 'layerdb', 'mounts');
  for (const id of listDir(mountsDir, log, true)) {
    const dir = join(mountsDir, id);
    const rwLayer = readLayerId(join(dir, 'mount-id'), log);
    const initLayer = readLayerId(join(dir, 'init-id'), log, true);
    // A container with an unusable id has no layer dir we may name: left out (warned above).
    if (rwLayer === null || initLayer === null) continue;
    const parentChain = readText(join(dir, 'parent'), log, true)?.trim() ?? '';
    const imageTop = byChain.get(parentChain)?.cacheId ?? '';
    if (parentChain && !imageTop) log.add(join(dir, 'parent'), `image layer ${parentChain} is not in layerdb`);
    if (!rwLayer) continue;
    if (skipMoved && driver === 'overlay' && movedToOverlay2(driverDir, rwLayer)) continue;
    if (initLayer) addContainerLayer(layers, driverDir, driver, initLayer, 'init', imageTop, log);
    addContainerLayer(layers, driverDir, driver, rwLayer, 'container', initLayer || imageTop, log);
    out.push({ id, initLayer, rwLayer, imageTop });
  }
  return out;
}

/**
 * `migrate --in-place` renames a container's legacy upper into the overlay2 store it writes beside
 * the legacy one (`overlay2/<id>/diff`) and keeps the legacy layerdb: such a container belongs to
 * the overlay2 store now (listed there), not to the legacy one with a missing layer.
 */
function movedToOverlay2(driverDir: string, rwLayer: string): boolean {
  return !isDir(layerDir(driverDir, 'overlay', rwLayer, 'container')) && isDir(join(dirname(driverDir), 'overlay2', rwLayer, 'diff'));
}

function addContainerLayer(
  layers: Map<string, LayerRef>,
  driverDir: string,
  driver: DockerDriver,
  cacheId: string,
  role: 'init' | 'container',
  parent: string,
  log: WarningLog,
): void {
  const dir = layerDir(driverDir, driver, cacheId, role);
  if (!isDir(dir)) log.add(dir, `container layer ${cacheId} has no driver dir`);
  layers.set(cacheId, { cacheId, chainId: '', diffId: '', size: 0, role, dir, parent });
}

/**
 * overlay2's `l/` short links must point at an existing diff: dockerd writes `../<id>/diff`, and an
 * absolute target works as well in a lowerdir= path; dangling ones are warnings.
 */
function checkShortLinks(driverDir: string, log: WarningLog): void {
  const lDir = join(driverDir, 'l');
  for (const name of listDir(lDir, log, true)) {
    const path = join(lDir, name);
    let target = '';
    try {
      target = readlinkSync(path);
    } catch (err) {
      log.add(path, `not a symlink (${(err as { code?: string }).code ?? 'error'})`);
      continue;
    }
    if (!existsSync(resolve(lDir, target))) log.add(path, `dangling short link to ${target}`);
  }
}

/** Resolve one Docker store; null when this data root has no such driver. */
/** `skipMoved`: leave out legacy containers that `migrate --in-place` moved into overlay2 (movedToOverlay2). */
export function discoverDockerStore(root: string, driver: DockerDriver, log: WarningLog, skipMoved = false): Store | null {
  const imageDir = join(root, 'image', driver);
  const driverDir = join(root, driver);
  if (!isDir(imageDir) || !isDir(driverDir)) return null;
  const { byChain } = readLayerDb(imageDir, driverDir, driver, log);
  const layers = new Map<string, LayerRef>();
  for (const layer of byChain.values()) layers.set(layer.cacheId, layer);
  const images = resolveImages(imageDir, byChain, log);
  const containers = resolveContainers(imageDir, driverDir, driver, byChain, layers, log, skipMoved);
  if (driver === 'overlay2') checkShortLinks(driverDir, log);
  const orphans = listDir(driverDir, log)
    .filter((name) => name !== 'l' && !layers.has(name))
    .map((name) => join(driverDir, name));
  return { driver, path: driverDir, layers, images, containers, orphans, linkLimit: linkLimitOf(driverDir) };
}
