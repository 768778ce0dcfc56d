import t from 'tap';
import { allowsOfflineChanges, followsRedirects, createsRedirects, resolveMountOptions } from './mount-config.js';
import { MAX_LOWERS, parseMountOptions } from './mount-options.js';

const resolve = (s: string) => resolveMountOptions(parseMountOptions(s));
const U = 'upperdir=/u,workdir=/w';

t.test('defaults are this kernel’s: redirect_dir off (follow), index/metacopy/xino off, uuid auto', async (t) => {
  const c = resolve(`lowerdir=/a,${U}`);
  t.match(c, { readonly: false, redirectDir: 'off', index: false, metacopy: false, xino: 'off', uuid: 'auto' });
  t.ok(followsRedirects(c));
  t.notOk(createsRedirects(c));
});

t.test('structural errors use the kernel’s words', async (t) => {
  t.throws(() => resolve('lowerdir=/a,upperdir=/u'), /missing 'workdir'/);
  t.throws(() => resolve('lowerdir=/a'), /at least 2 lowerdir/);
  t.throws(() => resolveMountOptions({ lowerdirs: [], datadirs: [], extra: {} }), /missing 'lowerdir'/);
  const many = Array.from({ length: MAX_LOWERS + 1 }, (_, i) => `/l${i}`).join(':');
  t.throws(() => resolve(`lowerdir=${many},${U}`), /too many lower directories, limit is 500/);
  const max = Array.from({ length: MAX_LOWERS }, (_, i) => `/l${i}`).join(':');
  t.equal(resolve(`lowerdir=${max},${U}`).lowerdirs.length, MAX_LOWERS);
});

t.test('no upper means read-only; workdir, index and volatile are ignored there', async (t) => {
  const c = resolve('lowerdir=/a:/b,workdir=/w,index=on,volatile');
  t.match(c, { readonly: true, workdir: undefined, index: false, volatile: false });
  t.equal(resolve('lowerdir=/a::/d').readonly, true);
  t.equal(resolve(`lowerdir=/a,${U},ro`).readonly, true);
});

t.test('fsync=strict applies with an upper only', async (t) => {
  t.match(resolve(`lowerdir=/a,${U},fsync=strict`), { fsyncStrict: true, volatile: false });
  t.match(resolve(`lowerdir=/a,${U},fsync=auto`), { fsyncStrict: false, volatile: false });
  t.match(resolve(`lowerdir=/a,${U}`), { fsyncStrict: false, volatile: false });
  t.equal(resolve('lowerdir=/a:/b,fsync=strict').fsyncStrict, false);
});

t.test('metacopy turns redirect_dir on, or conflicts with an explicit one', async (t) => {
  t.equal(resolve(`lowerdir=/a,${U},metacopy=on`).redirectDir, 'on');
  t.throws(() => resolve(`lowerdir=/a,${U},metacopy=on,redirect_dir=off`), /conflicting options: metacopy=on,redirect_dir=follow/);
  t.throws(() => resolve(`lowerdir=/a,${U},metacopy=on,redirect_dir=nofollow`), /metacopy=on,redirect_dir=nofollow/);
  t.equal(resolve('lowerdir=/a:/b,metacopy=on,redirect_dir=follow').metacopy, true);
  // Without an upper the redirects must still be followed (6.18: EINVAL).
  t.throws(() => resolve('lowerdir=/a:/b,metacopy=on,redirect_dir=nofollow'), /conflicting options: metacopy=on,redirect_dir=nofollow/);
  t.throws(() => resolve('lowerdir=/a::/d,metacopy=on,redirect_dir=nofollow'), /conflicting options: metacopy=on,redirect_dir=nofollow/);
});

t.test('nfs_export needs index and excludes metacopy', async (t) => {
  t.equal(resolve(`lowerdir=/a,${U},nfs_export=on`).index, true);
  t.throws(() => resolve(`lowerdir=/a,${U},nfs_export=on,index=off`), /nfs_export=on,index=off/);
  t.throws(() => resolve(`lowerdir=/a,${U},nfs_export=on,metacopy=on`), /nfs_export=on,metacopy=on/);
});

t.test('userxattr forbids following redirects and metacopy', async (t) => {
  const c = resolve(`lowerdir=/a,${U},userxattr`);
  t.match(c, { userxattr: true, redirectDir: 'nofollow', metacopy: false });
  t.notOk(followsRedirects(c));
  t.throws(() => resolve(`lowerdir=/a,${U},userxattr,redirect_dir=on`), /userxattr,redirect_dir=on/);
  t.throws(() => resolve(`lowerdir=/a,${U},userxattr,metacopy=on`), /userxattr,metacopy=on/);
  t.equal(resolve(`lowerdir=/a,${U},userxattr,redirect_dir=nofollow`).redirectDir, 'nofollow');
});

t.test('offline changes are allowed unless index, metacopy, redirect_dir=on or xino=on', async (t) => {
  t.ok(allowsOfflineChanges(resolve(`lowerdir=/a,${U}`)));
  t.notOk(allowsOfflineChanges(resolve(`lowerdir=/a,${U},redirect_dir=on`)));
  t.notOk(allowsOfflineChanges(resolve(`lowerdir=/a,${U},index=on`)));
  t.notOk(allowsOfflineChanges(resolve(`lowerdir=/a,${U},xino=on`)));
  t.notOk(allowsOfflineChanges(resolve(`lowerdir=/a,${U},metacopy=on`)));
});
