import t from 'tap';
import { OverlayXattrs, isAnyOverlayXattr } from './xattr-names.js';

t.test('trusted namespace by default, user with userxattr', async (t) => {
  t.equal(new OverlayXattrs().name('opaque'), 'trusted.overlay.opaque');
  t.equal(new OverlayXattrs(true).name('redirect'), 'user.overlay.redirect');
});

t.test('escaping: a user’s <prefix>X is stored as <prefix>overlay.X and shown back', async (t) => {
  const x = new OverlayXattrs();
  t.equal(x.escape('trusted.overlay.opaque'), 'trusted.overlay.overlay.opaque');
  t.equal(x.escape('user.foo'), 'user.foo');
  t.equal(x.unescape('trusted.overlay.overlay.opaque'), 'trusted.overlay.opaque');
  t.equal(x.unescape('trusted.overlay.origin'), null);
  t.equal(x.unescape('user.overlay.opaque'), 'user.overlay.opaque', 'user.overlay is not ours without userxattr');
  t.ok(x.isPrivate('trusted.overlay.impure'));
  t.notOk(x.isPrivate('trusted.overlay.overlay.impure'));
  t.notOk(x.isPrivate('security.capability'));
  for (const n of ['trusted.overlay.a', 'trusted.overlay.overlay.b', 'user.x']) t.equal(x.unescape(x.escape(n)), n);
});

t.test('with userxattr the user namespace is private and trusted is plain', async (t) => {
  const x = new OverlayXattrs(true);
  t.ok(x.isPrivate('user.overlay.opaque'));
  t.equal(x.unescape('trusted.overlay.opaque'), 'trusted.overlay.opaque');
  t.equal(x.escape('user.overlay.whiteout'), 'user.overlay.overlay.whiteout');
  t.ok(isAnyOverlayXattr('user.overlay.opaque'));
  t.ok(isAnyOverlayXattr('trusted.overlay.opaque'));
  t.notOk(isAnyOverlayXattr('user.overlayx'));
});
