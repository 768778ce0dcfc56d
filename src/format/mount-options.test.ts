import t from 'tap';
import { UsageError } from '../errors.js';
import { MAX_LOWERS, escapePath, formatMountOptions, isRemount, parseMountOptions, parseRemountOptions, splitLowerdir, unescapePath } from './mount-options.js';

t.test('lowerdir order is top first, upper and work are paths', async (t) => {
  const o = parseMountOptions('lowerdir=/a:/b:/c,upperdir=/u,workdir=/w');
  t.same(o.lowerdirs, ['/a', '/b', '/c']);
  t.same(o.datadirs, []);
  t.equal(o.upperdir, '/u');
  t.equal(o.workdir, '/w');
});

t.test('escapes: \\: and \\, stay inside a path, backslash is removed once', async (t) => {
  const o = parseMountOptions('lowerdir=/c\\:olon:/x\\,y\\\\z,upperdir=/u\\,1,workdir=/w');
  t.same(o.lowerdirs, ['/c:olon', '/x,y\\z']);
  t.equal(o.upperdir, '/u,1');
  t.equal(unescapePath('a\\:b\\\\c'), 'a:b\\c');
  t.equal(escapePath('a:b,c\\d'), 'a\\:b\\,c\\\\d');
});

t.test("'::' starts data-only layers", async (t) => {
  t.same(splitLowerdir('/l1:/l2::/d1::/d2'), { lowerdirs: ['/l1', '/l2'], datadirs: ['/d1', '/d2'] });
  for (const bad of ['/l1::/d1:/l2', '/l1:::/l2', '/l1:', ':/l1', '::/d1', '/l1::']) {
    t.throws(() => splitLowerdir(bad), UsageError, bad);
  }
});

t.test('round trip: format then parse gives the same options', async (t) => {
  const cases = [
    'lowerdir=/a:/b,upperdir=/u,workdir=/w',
    'lowerdir=/a\\:1::/d,upperdir=/u,workdir=/w,userxattr,redirect_dir=on,index=off,metacopy=on',
    'lowerdir=/a:/b,ro,xino=auto,uuid=null,verity=require,nfs_export=on,volatile',
    'lowerdir=/a\\,b:/c\\\\d,upperdir=/u:x,workdir=/w',
    'lowerdir=/a,upperdir=/u,workdir=/w,fsync=strict',
  ];
  for (const s of cases) {
    const o = parseMountOptions(s);
    t.same(parseMountOptions(formatMountOptions(o)), o, s);
  }
  t.equal(formatMountOptions(parseMountOptions(cases[1]!)), cases[1]);
});

t.test('later options override earlier ones, as in the kernel', async (t) => {
  const o = parseMountOptions('lowerdir=/a,lowerdir=/b,index=on,index=off');
  t.same(o.lowerdirs, ['/b']);
  t.equal(o.index, false);
});

t.test('volatile and fsync= are one setting, the last one wins, as in the kernel (6.18, /proc/mounts)', async (t) => {
  const parse = (s: string) => {
    const o = parseMountOptions(`lowerdir=/a,${s}`);
    return { volatile: o.volatile, fsync: o.fsync };
  };
  t.same(parse('fsync=strict'), { volatile: undefined, fsync: 'strict' });
  t.same(parse('fsync=volatile'), { volatile: true, fsync: undefined }, 'fsync=volatile is volatile');
  t.same(parse('volatile,fsync=strict'), { volatile: undefined, fsync: 'strict' });
  t.same(parse('fsync=strict,volatile'), { volatile: true, fsync: undefined });
  t.same(parse('volatile,fsync=auto'), { volatile: undefined, fsync: 'auto' });
  t.throws(() => parseMountOptions('lowerdir=/a,fsync=always'), /fsync=always: expected one of auto, strict, volatile/);
});

t.test('unknown and malformed options are errors that name the option', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['lowerdir=/a,bogus', /unknown mount option bogus/],
    ['lowerdir=/a,index=maybe', /index=maybe/],
    ['lowerdir=/a,userxattr=1', /userxattr takes no value/],
    ['lowerdir=/a,redirect_dir', /redirect_dir=/],
    ['lowerdir=/a,upperdir=', /upperdir: a path is required/],
    ['lowerdir=', /lowerdir: a path is required/],
    ['lowerdir=/a,lowerdir+=/b', /lowerdir\+ and datadir\+ cannot follow lowerdir/],
    ['datadir+=/d,lowerdir+=/a', /regular lower layers cannot follow data layers/],
    ['lowerdir+=', /lowerdir\+: a path is required/],
  ];
  for (const [s, re] of cases) t.throws(() => parseMountOptions(s), re, s);
});

// The kernel takes them in mount(2)'s option string too (checked on 6.18: `mount -t overlay -o
// lowerdir+=l1,lowerdir+=l2` mounts; a review found ovl-fuse refusing them as fsconfig-only).
t.test('lowerdir+= and datadir+= append one layer each, literally; a later lowerdir= replaces the list', async (t) => {
  const o = parseMountOptions('lowerdir+=/l1,upperdir=/u,lowerdir+=/l:2,datadir+=/d');
  t.same([o.lowerdirs, o.datadirs, o.upperdir], [['/l1', '/l:2'], ['/d'], '/u'], "':' is part of the path");
  t.same(parseMountOptions('lowerdir+=/a\\:b').lowerdirs, ['/a\\:b'], 'no unescaping, as the kernel');
  t.same(parseMountOptions('lowerdir+=/a,lowerdir=/b:/c').lowerdirs, ['/b', '/c']);
  t.same(parseMountOptions(formatMountOptions(parseMountOptions('lowerdir+=/l1,lowerdir+=/l2'))).lowerdirs, ['/l1', '/l2']);
});

t.test("mount(8)'s nosuid, nodev, noexec are per-mount flags; atime and sync ones are refused", async (t) => {
  const o = parseMountOptions('lowerdir=/a,nosuid,noexec,exec,nodev,defaults,relatime,async,atime');
  t.same(o.vfs, { nosuid: true, noexec: false, nodev: true }, 'the last of noexec/exec wins; defaults clears nothing');
  t.same(parseMountOptions('lowerdir=/a,nosymfollow').vfs, { nosymfollow: true }, 'nosymfollow');
  t.same(parseMountOptions('lowerdir=/a,nosymfollow,symfollow').vfs, { nosymfollow: false }, 'symfollow after it clears it');
  t.same(parseMountOptions(formatMountOptions(o)).vfs, o.vfs, 'round trip');
  t.equal(parseMountOptions('lowerdir=/a').vfs, undefined);
  t.throws(() => parseMountOptions('lowerdir=/a,nosuid=1'), /nosuid takes no value/);
  for (const opt of ['noatime', 'strictatime', 'sync', 'dirsync', 'lazytime', 'nodiratime', 'norelatime']) {
    t.throws(() => parseMountOptions(`lowerdir=/a,${opt}`), new RegExp(`unsupported mount option ${opt}: .*layers' own mounts`), opt);
  }
});

t.test('callers may allow extra options of their own', async (t) => {
  const o = parseMountOptions('lowerdir=/a,cache=auto,debug', { allow: ['cache', 'debug'] });
  t.same(o.extra, { cache: 'auto', debug: true });
  t.match(formatMountOptions(o), /cache=auto,debug$/);
  t.throws(() => parseMountOptions('lowerdir=/a,cache=auto'), /unknown mount option cache/);
});

t.test('500 lowers parse; the limit is checked when resolving', async (t) => {
  const lowers = Array.from({ length: MAX_LOWERS + 1 }, (_, i) => `/l${i}`);
  t.equal(parseMountOptions(`lowerdir=${lowers.join(':')}`).lowerdirs.length, MAX_LOWERS + 1);
});

t.test('a remount: ro/rw and the per-mount flags count, every other option is ignored, atime flags refused', async (t) => {
  // What mount(8) hands the helper for `mount -o remount,rw,nosuid MERGED`.
  t.same(parseRemountOptions('rw,relatime,remount,user_id=0,group_id=0,default_permissions,allow_other,nosuid,dev,lowerdir=/x'), { ro: false, vfs: { nosuid: true, nodev: false } });
  t.same(parseRemountOptions('remount'), { vfs: {} }, 'nothing named: nothing changes');
  t.throws(() => parseRemountOptions('remount,noatime'), { message: /unsupported mount option noatime/ });
  t.ok(isRemount('ro,remount'));
  t.notOk(isRemount('lowerdir=/a\\,remount,upperdir=/u'), 'an escaped comma in a path');
});
