import t from 'tap';
import { UsageError } from '../errors.js';
import { lowerFile, matchesRef, planConversion, shortLink } from './convert-plan.js';
import type { ImageRef, Store } from './types.js';

const img = (names: string[], hex: string, layers: string[]): ImageRef => ({ names, id: `sha256:${hex.padEnd(64, '0')}`, layers });
const store = {
  driver: 'overlay', path: '/d/overlay', layers: new Map(), containers: [], orphans: [], linkLimit: null,
  images: [img(['app:1'], 'abcd1', ['L0', 'L1', 'L2']), img(['base:1'], 'abcd2', ['L0']), img(['side:1'], 'ef', ['L0', 'L3'])],
} as Store;

t.test('short links: 26 chars of base32, stable per cache ID', async (t) => {
  t.match(shortLink('L0'), /^[A-Z2-7]{26}$/);
  t.equal(shortLink('L0'), shortLink('L0'));
  t.not(shortLink('L0'), shortLink('L1'));
  t.equal(lowerFile([]), '');
  t.equal(lowerFile(['L0', 'L1']), `l/${shortLink('L1')}:l/${shortLink('L0')}`, 'uppermost first');
});

t.test('images by tag or ID prefix', async (t) => {
  const [app] = store.images;
  t.ok(matchesRef(app!, 'app:1'));
  t.ok(matchesRef(app!, 'abcd1'));
  t.ok(matchesRef(app!, 'sha256:abcd1'));
  t.notOk(matchesRef(app!, 'abc'), 'fewer than 4 hex digits is no ID');
  t.notOk(matchesRef(app!, 'side:1'));
});

t.test('a plan writes every needed layer once, parents first', async (t) => {
  t.same(planConversion(store, []).layers, ['L0', 'L1', 'L2', 'L3']);
  t.same(planConversion(store, ['side:1', 'base:1', 'sha256:ef00']).layers, ['L0', 'L3']);
  t.same(planConversion(store, ['side:1']).images.map((p) => p.layers), [['L0', 'L3']]);
  t.throws(() => planConversion(store, ['nope:1']), new UsageError('--image nope:1: no such image in /d/overlay'));
  t.throws(() => planConversion(store, ['abcd']), new UsageError('--image abcd: matches 2 images; give more of the ID'));
});
