// Merged paths of 4095 bytes (PATH_MAX less its NUL) of many components, through ovl-fuse and
// kernel overlayfs side by side: lookup, readdir, read, copy-up of a 39-dir chain, create,
// truncate, chmod, chown, mkdir, rmdir, symlink, link, rename and renameat2, xattrs, unlink.
// The real paths are longer than PATH_MAX in the layers, so the daemon must work through dir
// fds; the test itself reaches such paths the same way (src/sys/long-path.ts).
import {
  appendFileSync, chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync,
  renameSync, rmdirSync, symlinkSync, truncateSync, unlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, listXattrs, removeXattr, rename2, setXattr } from '../../src/sys/index.js';
import { releaseLongPaths, shortPath } from '../../src/sys/long-path.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, sameOnBoth } from '../helpers/twin.js';

/** 39 dirs of 99 bytes: the deepest dir's merged path is 3900 bytes, a 194-byte name in it makes 4095. */
const CHAIN = Array.from({ length: 39 }, (_, i) => String(i).padStart(2, '0') + 'p'.repeat(97)).join('/');
const name = (c: string) => c.repeat(194);
const rel = (c: string) => `${CHAIN}/${name(c)}`;
t.equal(Buffer.byteLength('/' + rel('a')), 4095, 'merged path of the files is 4095 bytes');

const at = (root: string, r: string) => shortPath(join(root, r));
/** A listing abbreviated to first letter and length, so observations stay readable. */
const ls = (p: string) => readdirSync(p).sort().map((n) => `${n[0]}×${n.length}`);
const st = (p: string) => {
  const s = lstatSync(p);
  return { mode: s.mode.toString(8), size: s.size, nlink: s.nlink, uid: s.uid, gid: s.gid };
};

const scenario: Omit<Scenario, 'fuseOptions'> = {
  lowers: 1,
  setup(d) {
    const [l] = d.lowers as [string];
    // One level at a time: an ancestor must exist before paths below it can be shortened.
    CHAIN.split('/').forEach((_, i, c) => mkdirSync(at(l, c.slice(0, i + 1).join('/'))));
    writeFileSync(at(l, rel('a')), 'lower a\n');
    writeFileSync(at(l, rel('b')), 'lower b\n');
    mkdirSync(at(l, rel('x')));
    releaseLongPaths(l);
  },
  steps(m) {
    const p = (c: string) => at(m, rel(c));
    const o: Record<string, unknown> = {};
    const step = (label: string, fn: () => unknown) => {
      let value: unknown;
      o[label] = outcome(() => (value = fn()));
      if (value !== undefined) o[`${label} =`] = value;
    };
    step('lookup a', () => st(p('a')));
    step('readdir', () => ls(at(m, CHAIN)));
    step('read a', () => readFileSync(p('a'), 'utf8'));
    step('copy-up a by append', () => appendFileSync(p('a'), 'more\n'));
    step('read a again', () => readFileSync(p('a'), 'utf8'));
    step('chmod b', () => chmodSync(p('b'), 0o600));
    step('chown b', () => chownSync(p('b'), 1000, 1001));
    step('stat b', () => st(p('b')));
    step('create c', () => writeFileSync(p('c'), 'new c\n', { flag: 'wx' }));
    step('truncate c', () => truncateSync(p('c'), 3));
    step('stat c', () => st(p('c')));
    step('mkdir d', () => mkdirSync(p('d'), 0o750));
    step('stat d', () => st(p('d')));
    step('rmdir d', () => rmdirSync(p('d')));
    step('symlink e', () => symlinkSync(name('a'), p('e')));
    step('readlink e', () => readlinkSync(p('e')));
    step('read through e', () => readFileSync(p('e'), 'utf8'));
    step('link a f', () => linkSync(p('a'), p('f')));
    step('nlink a', () => lstatSync(p('a')).nlink);
    step('rename c g', () => renameSync(p('c'), p('g')));
    step('renameat2 noreplace g f', () => rename2(p('g'), p('f'), ['noreplace']));
    step('setxattr g', () => setXattr(p('g'), 'user.k', 'v'));
    step('getxattr g', () => getXattr(p('g'), 'user.k')?.toString());
    step('listxattr g', () => listXattrs(p('g')).filter((n) => n.startsWith('user.')));
    step('removexattr g', () => removeXattr(p('g'), 'user.k'));
    step('unlink f', () => unlinkSync(p('f')));
    step('unlink b (lower)', () => unlinkSync(p('b')));
    step('rmdir x (lower)', () => rmdirSync(p('x')));
    step('readdir at the end', () => ls(at(m, CHAIN)));
    releaseLongPaths(m);
    return o;
  },
};

await sameOnBoth(t, 'every name op on 4095-byte merged paths (fuse-native)', { ...scenario, fuseOptions: 'transport=fuse-native' });
await sameOnBoth(t, 'every name op on 4095-byte merged paths (/dev/fuse)', { ...scenario, fuseOptions: 'transport=dev' });
