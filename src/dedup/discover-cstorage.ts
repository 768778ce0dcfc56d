// Resolves a containers-storage root (podman, buildah, CRI-O: /var/lib/containers/storage):
// overlay-layers/layers.json (id, parent, diff-digest, diff-size), overlay-images/images.json
// (id, names, top layer) and overlay-containers/containers.json (id, image, RW layer).
// Layer data lives in overlay/<id>/diff with overlay2-style whiteouts.
import { join } from 'node:path';
import { linkLimitOf } from './link-limit.js';
import { WarningLog, isDir, listDir, readJson } from './read-meta.js';
import type { ContainerRef, ImageRef, LayerRef, Store } from './types.js';

interface CsLayer {
  id?: unknown;
  parent?: unknown;
  'diff-digest'?: unknown;
  'diff-size'?: unknown;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function arrayAt(path: string, log: WarningLog): Array<Record<string, unknown>> {
  const json = readJson(path, log, true);
  if (json === undefined) return [];
  if (!Array.isArray(json)) {
    log.add(path, 'expected a JSON array');
    return [];
  }
  return json as Array<Record<string, unknown>>;
}

/** Walk parents from `top` down, then reverse: bottom → top. Stops at unknown layers and loops. */
function chainFrom(top: string, layers: Map<string, LayerRef>, log: WarningLog, where: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let id = top; id; id = layers.get(id)?.parent ?? '') {
    if (seen.has(id)) {
      log.add(where, `layer parent loop through ${id}`);
      break;
    }
    seen.add(id);
    if (!layers.has(id)) {
      log.add(where, `layer ${id} is not in layers.json`);
      break;
    }
    out.push(id);
  }
  return out.reverse();
}

/**
 * A layer id names a dir below overlay/: one path component, never '.' or '..', so a crafted
 * layers.json cannot lead the scan out of the root (containers/storage writes 64 hex digits).
 */
const PLAIN_ID = /^(?!\.\.?$)[^/\0]+$/;

export function discoverContainersStorage(root: string, log: WarningLog): Store | null {
  const driverDir = join(root, 'overlay');
  if (!isDir(driverDir)) return null;
  const layers = new Map<string, LayerRef>();
  const layersJson = join(root, 'overlay-layers', 'layers.json');
  for (const raw of arrayAt(layersJson, log) as CsLayer[]) {
    const cacheId = str(raw.id);
    if (!cacheId) continue;
    if (!PLAIN_ID.test(cacheId)) {
      log.add(layersJson, `not a layer id: ${JSON.stringify(cacheId)} (one path component expected)`);
      continue;
    }
    const dir = join(driverDir, cacheId, 'diff');
    if (!isDir(dir)) log.add(dir, `layer ${cacheId} has no diff dir`);
    const size = typeof raw['diff-size'] === 'number' ? raw['diff-size'] : 0;
    layers.set(cacheId, {
      cacheId, chainId: '', diffId: str(raw['diff-digest']), size, role: 'image', dir, parent: str(raw.parent),
    });
  }
  const imagesJson = join(root, 'overlay-images', 'images.json');
  const images: ImageRef[] = arrayAt(imagesJson, log).map((raw) => ({
    names: Array.isArray(raw.names) && raw.names.length > 0 ? (raw.names as string[]).slice().sort() : ['<none>'],
    id: str(raw.id),
    layers: chainFrom(str(raw.layer), layers, log, imagesJson),
  }));
  const containers: ContainerRef[] = [];
  const containersJson = join(root, 'overlay-containers', 'containers.json');
  for (const raw of arrayAt(containersJson, log)) {
    const rw = layers.get(str(raw.layer));
    if (!rw) continue;
    rw.role = 'container';
    containers.push({ id: str(raw.id), initLayer: '', rwLayer: rw.cacheId, imageTop: rw.parent });
  }
  const orphans = listDir(driverDir, log)
    .filter((name) => name !== 'l' && !layers.has(name))
    .map((name) => join(driverDir, name));
  return { driver: 'containers-storage', path: driverDir, layers, images, containers, orphans, linkLimit: linkLimitOf(driverDir) };
}
