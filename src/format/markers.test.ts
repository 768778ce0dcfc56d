import t from 'tap';
import { formatRedirect, isImpureValue, opaqueMeaning, parseProtattr, parseRedirect, protattrValue, redirectForMove, isInvalidRedirect, dotRedirectPrefix } from './markers.js';
import { parseOrigin } from './origin.js';

t.test('opaque values: y is opaque, x only marks xattr whiteouts', async (t) => {
  t.equal(opaqueMeaning('y'), 'opaque');
  t.equal(opaqueMeaning(Buffer.from('y')), 'opaque');
  t.equal(opaqueMeaning('x'), 'xwhiteouts');
  t.equal(opaqueMeaning(''), 'none');
  t.equal(opaqueMeaning(null), 'none');
  t.equal(opaqueMeaning('yes'), 'none');
});

t.test('redirects: relative names a sibling, absolute a path from the root', async (t) => {
  t.same(parseRedirect('ld'), { kind: 'relative', name: 'ld' });
  t.same(parseRedirect('/a/sub'), { kind: 'absolute', path: ['a', 'sub'] });
  for (const bad of ['', 'a/b', '..', '/a/../b']) t.equal(parseRedirect(bad), null, bad);
  t.equal(formatRedirect(['ld'], []), 'ld');
  t.equal(formatRedirect(['x', 'ld'], ['x']), 'ld');
  t.equal(formatRedirect(['a', 'sub'], ['b']), '/a/sub');
  t.equal(formatRedirect(['a', 'sub'], []), '/a/sub');
});

t.test('origin file handles', async (t) => {
  t.equal(parseOrigin(Buffer.alloc(0)), 'unknown');
  const fh = Buffer.alloc(29);
  fh[0] = 0;
  fh[1] = 0xfb;
  fh[2] = 29;
  fh[3] = 0x4;
  fh[4] = 1;
  fh.fill(7, 21);
  const o = parseOrigin(fh);
  t.not(o, null);
  t.not(o, 'unknown');
  if (o && o !== 'unknown') {
    t.equal(o.flags, 4);
    t.equal(o.uuid.length, 16);
    t.same([...o.fid], [7, 7, 7, 7, 7, 7, 7, 7]);
  }
  t.equal(parseOrigin(Buffer.from([1, 0xfb, 3])), null);
  const wrongLen = Buffer.from(fh);
  wrongLen[2] = 30;
  t.equal(parseOrigin(wrongLen), null);
});

t.test('redirectForMove: the kernel\'s redirect for a moved dir', async (t) => {
  t.equal(redirectForMove(['a'], [null], true), 'a', 'renamed in its parent: the old name');
  t.equal(redirectForMove(['b'], ['d'], true), 'd', 'a relative redirect is kept in the same parent');
  t.equal(redirectForMove(['b'], ['d'], false), '/d', 'moved elsewhere: its redirect replaces its name');
  // After a layer rotation the moved parent's redirect lives in a lower: not the upper's to use.
  t.equal(redirectForMove(['a', 'b', 'y'], [null, null, null], false), '/a/b/y');
  t.equal(redirectForMove(['a', 'b', 'y'], [null, '/b', null], false), '/b/y', 'stops at an absolute ancestor');
  t.equal(redirectForMove(['x', 'y'], [null, '/q'], false), '/q', 'its own absolute redirect is kept');
});

t.test('impure is exactly "y"', async (t) => {
  t.ok(isImpureValue('y'));
  t.ok(isImpureValue(Buffer.from('y')));
  t.notOk(isImpureValue('yes'));
  t.notOk(isImpureValue(''));
  t.notOk(isImpureValue(null));
});

t.test('parseProtattr: a and i in any order; anything else, empty or too long gives no flag', async (t) => {
  const p = (s: string | null) => parseProtattr(s === null ? null : Buffer.from(s, 'latin1'));
  t.same(p('a'), { append: true, immutable: false });
  t.same(p('i'), { append: false, immutable: true });
  t.same(p('ia'), { append: true, immutable: true });
  t.same(p('aa'), { append: true, immutable: false });
  for (const bad of [null, '', 'ax', 'I', 'a\0', 'a'.repeat(33)]) t.same(p(bad), { append: false, immutable: false }, JSON.stringify(bad));
  t.same(p('a'.repeat(32)), { append: true, immutable: false });
});

t.test('protattrValue: "a" before "i" as the kernel writes it, null for neither; parseProtattr reads it back', async (t) => {
  const v = (append: boolean, immutable: boolean) => protattrValue({ append, immutable })?.toString('latin1') ?? null;
  t.equal(v(true, true), 'ai');
  t.equal(v(true, false), 'a');
  t.equal(v(false, true), 'i');
  t.equal(v(false, false), null);
  for (const [append, immutable] of [[true, true], [true, false], [false, true]] as const) {
    t.same(parseProtattr(protattrValue({ append, immutable })), { append, immutable });
  }
});

t.test('isInvalidRedirect and dotRedirectPrefix: what the kernel refuses on reading, and where a . or .. stops the search', async (t) => {
  for (const ok of ['ld', '/a', '/a/sub', '.x', '..x', '/a/.b', '..', '/a/../b']) t.equal(isInvalidRedirect(ok), false, ok);
  for (const bad of ['', 'a/b', '//x', '/x/', '/', '/a//b']) t.equal(isInvalidRedirect(bad), true, bad);
  t.equal(dotRedirectPrefix('ld'), null);
  t.equal(dotRedirectPrefix('/a/.b'), null);
  t.same(dotRedirectPrefix('..'), { absolute: false, prefix: [] });
  t.same(dotRedirectPrefix('/..'), { absolute: true, prefix: [] });
  t.same(dotRedirectPrefix(Buffer.from('/a/b/../c')), { absolute: true, prefix: ['a', 'b'] });
});
