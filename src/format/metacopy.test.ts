import t from 'tap';
import { METACOPY_PLAIN, parseMetacopy } from './metacopy.js';

t.test('a lookup takes an empty value, or any of 4 bytes and more, as a metacopy file', async (t) => {
  t.same(parseMetacopy(METACOPY_PLAIN), { digest: null, digestAlgo: 0, flags: 0 }, 'what the kernel writes without verity');
  t.same(parseMetacopy(Buffer.from([0, 4, 0, 0])), { digest: null, digestAlgo: 0, flags: 0 }, 'the header alone');
  const digest = Buffer.alloc(32, 7);
  t.same(parseMetacopy(Buffer.concat([Buffer.from([0, 36, 1, 1]), digest])), { digest, digestAlgo: 1, flags: 1 }, 'a header and a sha256 digest');
  // Only verity checks the header (at open); a lookup accepts these (checked on 6.18).
  t.not(parseMetacopy(Buffer.from([9, 4, 0, 0])), null, 'another version');
  t.not(parseMetacopy(Buffer.from([0, 20, 0, 0, 1, 2, 3, 4, 5])), null, 'a len that is not the size');
  t.not(parseMetacopy(Buffer.alloc(40)), null, 'longer than a header and a sha256 digest');
});

t.test('1 to 3 bytes are refused (the kernel answers EIO)', async (t) => {
  for (const n of [1, 2, 3]) t.equal(parseMetacopy(Buffer.alloc(n)), null, `${n} bytes`);
});
