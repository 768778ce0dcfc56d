import fc from 'fast-check';
import t from 'tap';
import { cPath, decodeName, hasEscapedBytes, nameByteLength, nameBytes, osPath, shownName } from './byte-names.js';

const bytes = (...b: number[]) => Buffer.from(b);

t.test('a UTF-8 name is its decoded string, passed on as it is', async (t) => {
  for (const s of ['plain', 'café', 'naïve/ü', '日本語', '😀 emoji', '\ufffd itself', 'x\u{10080}y']) {
    const b = Buffer.from(s, 'utf8');
    t.equal(decodeName(b), s);
    t.same(nameBytes(s), b, s);
    t.equal(nameByteLength(s), b.length, s);
    t.equal(osPath(s).toString(), s, s);
  }
  t.equal(osPath('café'), 'café', 'a string, not a Buffer: node encodes it the same');
  t.equal(cPath('café'), 'café');
  t.equal(hasEscapedBytes('😀'), false, 'U+1F600 is D83D DE00: outside the escape range');
  // U+12080 is D808 DC80, whose second half looks like an escaped byte: sent as bytes, the same ones.
  t.same(osPath('\u{12080}'), Buffer.from('\u{12080}', 'utf8'));
});

t.test('each byte of a name that is not UTF-8 is one lone surrogate, and comes back exactly', async (t) => {
  const latin1 = bytes(0x63, 0x61, 0x66, 0xe9); // "café" in Latin-1
  const s = decodeName(latin1);
  t.equal(s, 'caf\udce9');
  t.same(nameBytes(s), latin1);
  t.equal(nameByteLength(s), 4);
  t.ok(hasEscapedBytes(s));
  t.same(osPath(s), latin1, 'node:fs gets the bytes');
  t.same(cPath(s), Buffer.concat([latin1, bytes(0)]), 'a C string gets them NUL-terminated');
  t.not(decodeName(bytes(0x61, 0xe8)), decodeName(bytes(0x61, 0xe9)), 'two such names stay two');
  t.equal(decodeName(bytes(0xc3, 0xa9, 0xff)), 'é\udcff', 'the valid part decodes, the invalid byte is escaped');
  t.equal(decodeName(bytes(0xed, 0xb2, 0x80)), '\udced\udcb2\udc80', 'an encoded surrogate is three bytes, not a character');
  t.equal(decodeName(bytes(0xc0, 0xaf)), '\udcc0\udcaf', 'an overlong form is two bytes');
  t.equal(decodeName(bytes(0xf4, 0x90, 0x80, 0x80)), '\udcf4\udc90\udc80\udc80', 'above U+10FFFF is four bytes');
  t.equal(decodeName(bytes(0xe2, 0x82)), '\udce2\udc82', 'a truncated sequence at the end');
  t.equal(decodeName(bytes(0x78, 0xc3, 0xa9, 0x79), 1, 3), 'é', 'a slice of a buffer');
});

// Names are any bytes but '/' and NUL.
const nameByte = fc.integer({ min: 1, max: 255 }).filter((b) => b !== 0x2f);

t.test('any name: bytes → string → the same bytes (property)', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.oneof(nameByte, fc.constantFrom(0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff)), { minLength: 1, maxLength: 40 }), (arr) => {
      const b = Buffer.from(arr);
      const s = decodeName(b);
      return nameBytes(s).equals(b) && nameByteLength(s) === b.length && Buffer.from(osPath(s)).equals(b);
    }),
    { numRuns: 5000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), (s) => decodeName(Buffer.from(s, 'utf8')) === s && Buffer.from(osPath(s)).equals(Buffer.from(s, 'utf8'))),
    { numRuns: 2000 },
  );
  t.pass('round trips hold');
});

t.test('paths joined from decoded names encode name by name', async (t) => {
  const dir = decodeName(bytes(0x64, 0xff));
  const file = decodeName(bytes(0xe9));
  t.same(nameBytes(`/l/${dir}/${file}`), Buffer.concat([Buffer.from('/l/'), bytes(0x64, 0xff, 0x2f, 0xe9)]));
});

t.test('shownName: the escaped bytes as \\xNN, other names as they are', async (t) => {
  t.equal(shownName(decodeName(bytes(0x64, 0xff, 0x2f, 0xe9))), 'd\\xff/\\xe9');
  t.equal(shownName('café'), 'café');
  t.equal(shownName('\u{10080}x\udce9'), '\u{10080}x\\xe9', 'a pair whose second half looks like an escape is a character');
});

t.test("errors' oneLine shows such a byte as \\xNN, as it shows control characters", async (t) => {
  const { oneLine } = await import('../errors.js');
  t.equal(oneLine(`/l/${decodeName(bytes(0x64, 0xff))}: bad\n`), '/l/d\\xff: bad\\n');
  t.equal(oneLine('\u{10080}'), '\u{10080}', 'a character above U+FFFF stays');
});
