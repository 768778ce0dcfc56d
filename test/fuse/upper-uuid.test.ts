// ovl-fuse stores the persistent uuid on the upper root as the kernel does at mount (checked on
// kernel 6.18: uuid=auto on a new overlay, uuid=on always, off/null never, an existing value kept,
// an impure upper root left alone with auto, user.overlay.uuid with userxattr).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseMountOptions, resolveMountOptions } from '../../src/format/index.js';
import { initUpperUuid } from '../../src/fuse/mount.js';
import { getXattr, setXattr } from '../../src/sys/index.js';
import type { Teardowns } from '../helpers/layers.js';

function upper(t: Teardowns, opts: string, before?: (u: string) => void): string {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-uuid-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  for (const d of ['l', 'u', 'w']) mkdirSync(join(root, d));
  const u = join(root, 'u');
  before?.(u);
  initUpperUuid(resolveMountOptions(parseMountOptions(`lowerdir=${root}/l,upperdir=${u},workdir=${root}/w${opts}`)));
  return u;
}

t.test('uuid=auto on a new upper: 16 random bytes, RFC 4122 v4, kept on the next mount', async (t) => {
  const u = upper(t, '');
  const v = getXattr(u, 'trusted.overlay.uuid');
  t.equal(v?.length, 16);
  t.equal(v![6]! >> 4, 4, 'version 4');
  const cfg = resolveMountOptions(parseMountOptions(`lowerdir=${u}/../l,upperdir=${u},workdir=${u}/../w`));
  initUpperUuid(cfg);
  t.same(getXattr(u, 'trusted.overlay.uuid'), v, 'a second mount keeps it');
});

t.test('the kernel rules: off/null never, auto leaves an impure (old) upper, on writes anyway, userxattr', async (t) => {
  t.equal(getXattr(upper(t, ',uuid=off'), 'trusted.overlay.uuid'), null);
  t.equal(getXattr(upper(t, ',uuid=null'), 'trusted.overlay.uuid'), null);
  const impure = (u: string) => setXattr(u, 'trusted.overlay.impure', 'y');
  t.equal(getXattr(upper(t, '', impure), 'trusted.overlay.uuid'), null);
  t.equal(getXattr(upper(t, ',uuid=on', impure), 'trusted.overlay.uuid')?.length, 16);
  // The kernel asks the value's length: an empty `impure` is no old overlay's (checked on 6.18).
  t.equal(getXattr(upper(t, '', (u) => setXattr(u, 'trusted.overlay.impure', '')), 'trusted.overlay.uuid')?.length, 16, 'an empty impure: stored');
  const ux = upper(t, ',userxattr');
  t.equal(getXattr(ux, 'user.overlay.uuid')?.length, 16);
  t.equal(getXattr(ux, 'trusted.overlay.uuid'), null);
  const short = upper(t, '', (u) => setXattr(u, 'trusted.overlay.uuid', Buffer.from([0, 0x11])));
  t.same(getXattr(short, 'trusted.overlay.uuid'), Buffer.from([0, 0x11]), 'a malformed value is left as it is');
});
