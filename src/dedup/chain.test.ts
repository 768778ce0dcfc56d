import t from 'tap';
import { chainIds, digestHex } from './chain.js';

const d = (c: string) => 'sha256:' + c.repeat(64);

t.test('chain IDs fold diff IDs as moby does', async (t) => {
  // Values from a real root built here by dockerd 20.10: a base layer and its child.
  const base = 'sha256:77b35f7bc54bd7fd2de581d233c1b144ea1239885eb7a764e4820a084ae7f557';
  const child = 'sha256:09adbf3fbcaf4f2939c194f34dc99171574ea1bfdf71de391f64ae547f7d518c';
  t.same(chainIds([base, child]), [base, 'sha256:51997ac3c4c15c6ab563f423e8f527d584d7feb7740a19b4217e359a900f97cb']);
  const ids = chainIds([d('a'), d('b'), d('c')]);
  t.equal(ids[0], d('a'), 'the base chain ID is its diff ID');
  t.not(ids[1], d('b'));
  t.match(ids[1], /^sha256:[0-9a-f]{64}$/);
  // Folding is prefix-stable: the chain of a child image starts with its parent's chain.
  t.same(chainIds([d('a'), d('b')]), ids.slice(0, 2));
  t.same(chainIds([]), []);
});

t.test('digestHex accepts only sha256 digests', async (t) => {
  t.equal(digestHex(d('f') + '\n'), 'f'.repeat(64));
  t.equal(digestHex('sha256:xyz'), null);
  t.equal(digestHex('f'.repeat(64)), null);
});
