// Which legacy layers to convert and how the output is laid out, overlay2-style:
// OUT/<cache-id>/diff, OUT/<cache-id>/link (26-char short name), OUT/<cache-id>/lower
// (`l/<parent link>:<parent's lower>`, uppermost first), OUT/l/<link> → ../<cache-id>/diff.
// Short names are derived from the cache ID, so a restarted conversion writes the same names. Pure.
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ImageRef, Store } from './types.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 26 characters of base32 (Docker's alphabet and length for overlay2 short links). */
export function shortLink(cacheId: string): string {
  const digest = createHash('sha256').update(cacheId).digest();
  let out = '';
  for (let i = 0; i < 26; i++) out += BASE32[digest[i]! & 31];
  return out;
}

export interface PlannedImage {
  image: ImageRef;
  /** cache IDs bottom → top */
  layers: string[];
}

export interface ConvertPlan {
  images: PlannedImage[];
  /** every layer to write, parents before children, each once */
  layers: string[];
}

/** An image by `repo:tag`, full or short ID (with or without `sha256:`). */
export function matchesRef(image: ImageRef, ref: string): boolean {
  if (image.names.includes(ref)) return true;
  const hex = image.id.replace(/^sha256:/, '');
  const want = ref.replace(/^sha256:/, '');
  return want.length >= 4 && /^[0-9a-f]+$/.test(want) && hex.startsWith(want);
}

export function planConversion(store: Store, refs: readonly string[]): ConvertPlan {
  let images = store.images;
  if (refs.length > 0) {
    images = [];
    for (const ref of refs) {
      const found = store.images.filter((i) => matchesRef(i, ref));
      if (found.length === 0) throw new UsageError(`--image ${ref}: no such image in ${store.path}`);
      if (found.length > 1) throw new UsageError(`--image ${ref}: matches ${found.length} images; give more of the ID`);
      if (!images.includes(found[0]!)) images.push(found[0]!);
    }
  }
  const layers: string[] = [];
  for (const img of images) for (const id of img.layers) if (!layers.includes(id)) layers.push(id);
  return { images: images.map((image) => ({ image, layers: image.layers })), layers };
}

/** The `lower` file of a layer: its parents' short links, uppermost first (absent for a base layer). */
export function lowerFile(chainBelow: readonly string[]): string {
  return chainBelow.slice().reverse().map((id) => `l/${shortLink(id)}`).join(':');
}
