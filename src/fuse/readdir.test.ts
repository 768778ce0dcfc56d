import t from 'tap';
import type { Hit } from './lookup.js';
import { mergedOrder } from './readdir.js';

// Only identity matters to mergedOrder; a tag stands in for each layer copy.
const hit = (tag: string) => ({ tag }) as unknown as Hit;

t.test('merged order is the kernel\'s: lowest layer first, then upper and middle lowers top down', async (t) => {
  const up = hit('upper');
  const l1 = hit('l1');
  const l2 = hit('l2');
  const l3 = hit('l3');
  // Measured on kernel 6.18 with these layers on tmpfs (each list in its layer's getdents order):
  // the merged dir lists zeta,mid,alpha,omega,beta,delta,gamma,x.
  const got = mergedOrder([
    { hit: up, names: ['zeta', 'omega', 'beta'] },
    { hit: l1, names: ['delta', 'gamma'] },
    { hit: l2, names: ['x', 'beta', 'mid'] },
    { hit: l3, names: ['zeta', 'mid', 'alpha'] },
  ]);
  t.same(got.map((e) => e.name), ['zeta', 'mid', 'alpha', 'omega', 'beta', 'delta', 'gamma', 'x']);
  const tagOf = (name: string) => (got.find((e) => e.name === name)!.hit as unknown as { tag: string }).tag;
  t.same(['zeta', 'mid', 'beta', 'alpha'].map(tagOf), ['upper', 'l2', 'upper', 'l3'], 'each name decided by its top-most copy');
});

t.test('one layer lists in its own order; no layers list nothing', async (t) => {
  t.same(mergedOrder([{ hit: hit('u'), names: ['b', 'a', 'c'] }]).map((e) => e.name), ['b', 'a', 'c']);
  t.same(mergedOrder([]), []);
});
