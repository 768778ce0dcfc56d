// How a store and its images are named when a data root holds more than one store (after
// `migrate --in-place` both the legacy overlay/ and the new overlay2/ store are there, with the
// same images): every image then carries its store, so two rows with one ID are told apart.
import type { Driver } from './types.js';

/** 'legacy' for overlay, the driver's name otherwise: the word a row of one store is tagged with. */
export function storeWord(driver: Driver): string {
  return driver === 'overlay' ? 'legacy' : driver;
}

/** Whether images must say which store they are in: more than one store in the root. */
export function needsTags(drivers: readonly Driver[]): boolean {
  return new Set(drivers).size > 1;
}

/** 'a:1' alone, or 'a:1 (legacy)' when the root has more than one store. */
export function imageTag(img: { name: string; driver: Driver }, tagged: boolean): string {
  return tagged ? `${img.name} (${storeWord(img.driver)})` : img.name;
}

/** What a store is, said once in the header: the legacy store beside an overlay2 one is what migrate --in-place kept. */
export function storeNote(driver: Driver, drivers: readonly Driver[]): string {
  return driver === 'overlay' && drivers.includes('overlay2') ? ' (legacy, kept by migrate --in-place; remove with --remove-legacy)' : '';
}

/**
 * Images that hold one row, said once: 'a:1, c:1 (legacy, overlay2)' when every name is in the
 * same stores, each tagged otherwise; names alone in a root with one store.
 */
export function imageList(imgs: ReadonlyArray<{ name: string; driver: Driver }>, tagged: boolean): string {
  if (!tagged) return imgs.map((i) => i.name).join(', ');
  const stores = new Map<string, string[]>();
  for (const i of imgs) stores.set(i.name, [...(stores.get(i.name) ?? []), storeWord(i.driver)]);
  const sets = [...new Set([...stores.values()].map((d) => d.join(', ')))];
  const all = new Set(imgs.map((i) => i.driver)).size;
  if (sets.length === 1) return `${[...stores.keys()].join(', ')} (${sets[0]!.split(', ').length === all && all > 1 ? `${all === 2 ? 'both' : 'all'} stores` : sets[0]})`;
  return imgs.map((i) => imageTag(i, true)).join(', ');
}
