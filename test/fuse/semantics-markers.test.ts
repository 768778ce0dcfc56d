// ovl-fuse next to kernel overlayfs on the on-disk markers of spec case 15: char 0/0 and xattr
// whiteouts (with and without opaque=x, in lower and upper), opaque markers of both namespaces,
// and layer-tar names, which the kernel treats as ordinary files.
import { lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OPAQUE_XWHITEOUTS, OPAQUE_YES, OverlayXattrs, TAR_OPAQUE_NAME, tarWhiteoutName } from '../../src/format/index.js';
import { makeWhiteout, setXattr } from '../../src/sys/index.js';
import { outcome } from '../helpers/tree.js';
import { runTwin } from '../helpers/twin.js';

const trusted = new OverlayXattrs(false);
const user = new OverlayXattrs(true);

function xattrWhiteout(path: string): void {
  writeFileSync(path, '');
  setXattr(path, trusted.name('whiteout'), '');
}

t.test('15 on-disk markers read as the kernel reads them', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 2,
    setup(d) {
      const [l1, l2] = d.lowers as [string, string];
      for (const dir of ['X', 'Xn', 'Y', 'Z', 'T', 'UX', 'UY', 'UN']) {
        mkdirSync(join(l1, dir));
        mkdirSync(join(l2, dir));
        writeFileSync(join(l2, dir, 'f'), 'lower');
        writeFileSync(join(l2, dir, 'other'), 'o');
      }
      xattrWhiteout(join(l1, 'X', 'f'));
      setXattr(join(l1, 'X'), trusted.name('opaque'), OPAQUE_XWHITEOUTS);
      xattrWhiteout(join(l1, 'Xn', 'f'));
      setXattr(join(l1, 'Y'), user.name('opaque'), OPAQUE_YES);
      writeFileSync(join(l1, 'Z', TAR_OPAQUE_NAME), '');
      setXattr(join(l1, 'T'), trusted.name('opaque'), OPAQUE_YES);
      writeFileSync(join(l1, tarWhiteoutName('w_aufs')), '');
      writeFileSync(join(l2, 'w_aufs'), 'w');
      for (const dir of ['UX', 'UY', 'UN']) mkdirSync(join(d.upper, dir));
      setXattr(join(d.upper, 'UX'), trusted.name('opaque'), OPAQUE_XWHITEOUTS);
      xattrWhiteout(join(d.upper, 'UX', 'f'));
      setXattr(join(d.upper, 'UY'), user.name('opaque'), OPAQUE_YES);
      makeWhiteout(join(d.upper, 'UN', 'f'));
      mkdirSync(join(d.upper, 'PU'));
      setXattr(join(d.upper, 'PU'), trusted.name('opaque'), OPAQUE_YES);
      makeWhiteout(join(d.upper, 'PU', 'ghost'));
    },
    steps(m) {
      const o: Record<string, unknown> = { root: readdirSync(m).sort() };
      for (const dir of ['X', 'Xn', 'Y', 'Z', 'T', 'UX', 'UY', 'UN', 'PU']) {
        o[dir] = readdirSync(join(m, dir)).sort();
        o[`${dir}/f`] = outcome(() => lstatSync(join(m, dir, 'f')));
      }
      o.ghost = outcome(() => lstatSync(join(m, 'PU', 'ghost')));
      return o;
    },
  });
  t.same(f.observed, k.observed, 'observations');
  t.same(f.tree, k.tree, 'merged tree');
});

t.test('an opaque marker on a layer root hides nothing, as in the kernel', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 2,
    setup(d) {
      const [l1, l2] = d.lowers as [string, string];
      writeFileSync(join(l1, 'l1'), '1');
      writeFileSync(join(l2, 'l2'), '2');
      writeFileSync(join(d.upper, 'u'), 'u');
      setXattr(d.upper, trusted.name('opaque'), OPAQUE_YES);
      setXattr(l1, trusted.name('opaque'), OPAQUE_YES);
    },
    steps(m) {
      return { root: readdirSync(m).sort(), l2: outcome(() => lstatSync(join(m, 'l2')).size) };
    },
  });
  t.same(k.observed.root, ['l1', 'l2', 'u'], 'the kernel shows every layer');
  t.same(f.observed, k.observed, 'observations');
  t.same(f.tree, k.tree, 'merged tree');
});

// A kernel-source review (2026-12-08): a dir with a single copy that carries an `origin` (an upper
// reused as a lower holds copied-up dirs, with whiteouts in them) may hold whiteouts for the
// kernel (ovl_get_inode's OVL_WHITEOUTS), so it lists it as a merged dir and hides them; ovl-fuse
// listed such a lower dir straight, whiteouts included.
t.test('a lower-only dir with an origin hides its whiteouts, as the kernel', async (t) => {
  const [k, f] = await runTwin(t, {
    lowers: 2,
    setup(d) {
      const [l1, l2] = d.lowers as [string, string];
      for (const [layer, dir] of [[l1, 'mid'], [l2, 'bottom']] as const) {
        mkdirSync(join(layer, dir));
        setXattr(join(layer, dir), trusted.name('origin'), '');
        makeWhiteout(join(layer, dir, 'w'));
        writeFileSync(join(layer, dir, 'f'), 'f');
      }
      // Without an origin, a dir with one copy lists its whiteouts (as lstat-less names).
      mkdirSync(join(l1, 'plain'));
      makeWhiteout(join(l1, 'plain', 'w'));
    },
    steps(m) {
      return Object.fromEntries(['mid', 'bottom', 'plain'].map((d) => [d, readdirSync(join(m, d)).sort()]));
    },
  });
  t.same(f.observed, k.observed, 'listings');
  t.same(f.tree, k.tree, 'merged tree');
});
