import t from 'tap';
import {
  TAR_OPAQUE_NAME, WHITEOUT_MODE, isCharWhiteout, mayBeXattrWhiteout, mergedListingDropsXattrWhiteout, parseTarName, tarWhiteoutName,
  xwhiteoutsMarkerRead,
} from './whiteout.js';

t.test('char 0/0 of any mode is a whiteout; other devices and types are not', async (t) => {
  t.ok(isCharWhiteout({ mode: WHITEOUT_MODE, rdev: 0 }));
  t.ok(isCharWhiteout({ mode: 0o020644, rdev: 0 }));
  t.notOk(isCharWhiteout({ mode: 0o020644, rdev: 0x103 }), 'char 1:3 is /dev/null, not a whiteout');
  t.notOk(isCharWhiteout({ mode: 0o060000, rdev: 0 }), 'block 0/0 is not a whiteout');
  t.notOk(isCharWhiteout({ mode: 0o100000, rdev: 0 }));
});

t.test('xattr whiteout candidates are empty regular files only', async (t) => {
  t.ok(mayBeXattrWhiteout({ mode: 0o100644, size: 0 }));
  t.notOk(mayBeXattrWhiteout({ mode: 0o100644, size: 1 }));
  t.notOk(mayBeXattrWhiteout({ mode: 0o040755, size: 0 }));
});

t.test('a merged listing drops an xattr whiteout in an impure upper, or in a lower dir marked opaque=x', async (t) => {
  const at = (upper: boolean, upperImpure: boolean, xwhiteoutsMarked: boolean) => mergedListingDropsXattrWhiteout({ upper, upperImpure, xwhiteoutsMarked });
  t.ok(at(true, true, false), 'upper, dir impure: looked up for d_ino, so dropped');
  t.notOk(at(true, false, false), 'upper, dir pure: listed');
  t.notOk(at(true, false, true), 'opaque=x means nothing in the upper');
  t.ok(at(false, false, true), 'lower dir marked opaque=x');
  t.notOk(at(false, true, false), 'a lower name is not looked up because the upper is impure');
});

t.test('opaque=x is read in a lower that is not the bottom one only', async (t) => {
  t.ok(xwhiteoutsMarkerRead({ upper: false, lastLower: false }));
  t.notOk(xwhiteoutsMarkerRead({ upper: false, lastLower: true }), 'the bottom lower');
  t.notOk(xwhiteoutsMarkerRead({ upper: true, lastLower: false }), 'the upper');
});

t.test('layer-tar names', async (t) => {
  t.same(parseTarName('.wh.foo'), { kind: 'whiteout', target: 'foo' });
  t.same(parseTarName(TAR_OPAQUE_NAME), { kind: 'opaque' });
  t.same(parseTarName('.wh..wh.plnk'), { kind: 'meta', name: '.wh..wh.plnk' });
  t.same(parseTarName('.wh.'), { kind: 'plain', name: '.wh.' });
  t.same(parseTarName('foo.wh.x'), { kind: 'plain', name: 'foo.wh.x' });
  t.equal(tarWhiteoutName('bar'), '.wh.bar');
  t.same(parseTarName(tarWhiteoutName('.hidden')), { kind: 'whiteout', target: '.hidden' });
});
