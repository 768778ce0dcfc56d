// Names that are not UTF-8 (Latin-1 names from old tarballs and images), side by side with the
// kernel's overlay: a name is bytes, and ovl-fuse must list, look up, create, rename, link and
// whiteout it byte for byte (before 2026-12-07 such a lower name vanished from listings and a
// created one landed in the upper as U+FFFD, two such names as one). Every name below is written
// with \xNN bytes; paths are built as strings holding those bytes (src/format/byte-names.ts) and
// handed to node:fs as Buffers, so the test itself never loses a byte.
import { appendFileSync, closeSync, constants, mkdirSync, readFileSync, readdirSync, renameSync, rmdirSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { decodeName, nameBytes, osPath } from '../../src/format/byte-names.js';
import { getXattr, mknod } from '../../src/sys/index.js';
import { releaseLongPaths, shortPath } from '../../src/sys/long-path.js';
import { linkSync, lstatSync, openSync, readlinkSync, symlinkSync } from '../../src/sys/fs-bytes.js';
import { O_TMPFILE, linkFd } from '../../src/sys/space.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, type TwinResult, remountAs, runTwin, sameOnBoth } from '../helpers/twin.js';
import { layerDirs, type LayerDirs } from '../helpers/layers.js';
import { mountFuse } from '../helpers/fuse.js';

/** A name (or path) from its bytes, given as a latin1 string: 'caf\xe9' is c a f 0xE9. */
const b = (latin1: string) => decodeName(Buffer.from(latin1, 'latin1'));
const at = (...parts: string[]) => parts.join('/');
const hex = (s: string) => nameBytes(s).toString('hex');
/** A dir's names as hex of their bytes, sorted. */
const names = (dir: string) => readdirSync(osPath(dir), { encoding: 'buffer' }).map((n) => n.toString('hex')).sort();
const read = (p: string) => readFileSync(osPath(p), 'utf8');

const PY_XATTRS = `
import os, sys
path, op = bytes.fromhex(sys.argv[1]), sys.argv[2]
if op == 'set': os.setxattr(path, bytes.fromhex(sys.argv[3]), sys.argv[4].encode(), follow_symlinks=False)
elif op == 'get': print(os.getxattr(path, bytes.fromhex(sys.argv[3]), follow_symlinks=False).decode())
else: print(' '.join(sorted(os.fsencode(n).hex() for n in os.listxattr(path, follow_symlinks=False))))
`;
/** set, get or list xattrs of `path` with python3 (names as hex of their bytes), independent of src/sys. */
function xattrs(path: string, op: 'set' | 'get' | 'list', name = '', value = ''): string {
  const args = [hex(path), op, ...(op === 'list' ? [] : [hex(name)]), ...(op === 'set' ? [value] : [])];
  return execFileSync('python3', ['-c', PY_XATTRS, ...args], { encoding: 'utf8' }).trim();
}

/** The upper dir as its bytes show it: each path's type, size, link text and overlay xattrs but `origin` (an inode of each twin's own lower). */
function upperPicture(d: LayerDirs): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const raw of readdirSync(osPath(at(d.upper, rel)), { encoding: 'buffer' })) {
      const name = decodeName(raw);
      const r = rel ? at(rel, name) : name;
      const p = at(d.upper, r);
      const st = lstatSync(p);
      const f = [`type=${(st.mode & 0o170000).toString(8)}`];
      if (st.isFile()) f.push(`data=${read(p)}`);
      if (st.isSymbolicLink()) f.push(`target=${readlinkSync(p, { encoding: 'buffer' }).toString('hex')}`);
      if (st.isCharacterDevice()) f.push(`rdev=${st.rdev}`);
      for (const x of ['redirect', 'opaque']) {
        const v = getXattr(p, `trusted.overlay.${x}`);
        if (v !== null) f.push(`${x}=${v.toString('hex')}`);
      }
      out[hex(r)] = f.join(' ');
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

/** What the steps leave, as a reader of the mount sees it. */
function view(m: string, tmpfile = true): Record<string, unknown> {
  return {
    root: names(m),
    movedChild: read(at(m, b('r3\xe9'), 'child')),
    renamedDir: names(at(m, b('d2\xfe'))),
    copied: read(at(m, b('d2\xfe'), b('f\xe8'))),
    newLink: readlinkSync(at(m, b('s\xfb')), { encoding: 'buffer' }).toString('hex'),
    nlink: lstatSync(at(m, b('nl\xfe'))).nlink,
    gone: outcome(() => lstatSync(at(m, b('caf\xe9')))),
    movedAgain: names(at(m, b('r3\xe9'))),
    tmpfile: tmpfile ? read(at(m, b('d2\xfe'), b('tmp\xe1'))) : null,
    fifo: lstatSync(at(m, b('fifo\xe2'))).isFIFO(),
    mixed: read(at(m, b('mix\xc3\xa9\xff'))),
  };
}

/** The steps; `tmpfile`: with an O_TMPFILE linked in (the fuse-native transport has none). */
const scenarioOf = (tmpfile: boolean): Scenario => ({
  lowers: 1,
  options: 'redirect_dir=on',
  setup(d) {
    const l = d.lowers[0]!;
    writeFileSync(osPath(at(l, b('caf\xe9'))), 'latin1 name');
    writeFileSync(osPath(at(l, b('caf\xc3\xa9'))), 'utf8 name'); // "café" in UTF-8, beside its Latin-1 twin
    mkdirSync(osPath(at(l, b('d\xff'))));
    writeFileSync(osPath(at(l, b('d\xff'), b('f\xe8'))), 'in a non-UTF-8 dir');
    symlinkSync(b('caf\xe9'), at(l, 'lnk'));
    symlinkSync(b('x\xff/y'), at(l, b('l\xe9')));
    writeFileSync(osPath(at(l, b('h\xe0'))), 'hard');
    linkSync(at(l, b('h\xe0')), at(l, 'h2'));
    mkdirSync(osPath(at(l, b('ren\xe9'))));
    writeFileSync(osPath(at(l, b('ren\xe9'), 'child')), 'child');
    mkdirSync(osPath(at(l, b('gone\xe9'))));
    // Valid multi-byte characters beside escaped bytes in one name: listed through the slow paths.
    writeFileSync(osPath(at(l, b('mix\xc3\xa9\xff'))), 'mixed');
  },
  steps(m, d) {
    const o: Record<string, unknown> = {};
    o.rootBefore = names(m);
    o.latin1 = read(at(m, b('caf\xe9')));
    o.utf8 = read(at(m, 'café'));
    o.inDir = read(at(m, b('d\xff'), b('f\xe8')));
    o.lnk = readlinkSync(at(m, 'lnk'), { encoding: 'buffer' }).toString('hex');
    o.lnkData = read(at(m, 'lnk'));
    o.linkText = readlinkSync(at(m, b('l\xe9')), { encoding: 'buffer' }).toString('hex');
    o.otherByte = outcome(() => lstatSync(at(m, b('caf\xea'))));
    o.replacement = outcome(() => lstatSync(at(m, 'caf\ufffd')));
    // Two names that differ only in a byte that is not UTF-8 stay two.
    writeFileSync(osPath(at(m, b('n\xe8'))), 'e8');
    writeFileSync(osPath(at(m, b('n\xe9'))), 'e9');
    o.created = [read(at(m, b('n\xe8'))), read(at(m, b('n\xe9')))];
    // xattr names one byte apart stay two, as the kernel keeps them.
    // Through python's os module, not ours: a fault in src/sys/xattr.ts would otherwise hit both sides alike.
    xattrs(at(m, b('n\xe8')), 'set', b('user.a\xe8'), '1');
    xattrs(at(m, b('n\xe8')), 'set', b('user.a\xe9'), '2');
    o.xattrNames = xattrs(at(m, b('n\xe8')), 'list');
    o.xattrValue = xattrs(at(m, b('n\xe8')), 'get', b('user.a\xe8'));
    appendFileSync(osPath(at(m, b('d\xff'), b('f\xe8'))), '+'); // copy-up inside the dir
    appendFileSync(osPath(at(m, b('h\xe0'))), '+');
    unlinkSync(osPath(at(m, b('caf\xe9')))); // whiteout
    rmdirSync(osPath(at(m, b('gone\xe9'))));
    mkdirSync(osPath(at(m, b('m\xf0'))));
    renameSync(osPath(at(m, b('ren\xe9'))), osPath(at(m, b('m\xf0'), b('r\xe8')))); // absolute redirect
    renameSync(osPath(at(m, b('d\xff'))), osPath(at(m, b('d2\xfe')))); // relative redirect
    renameSync(osPath(at(m, b('n\xe9'))), osPath(at(m, b('n2\xe9'))));
    linkSync(at(m, b('n\xe8')), at(m, b('nl\xfe')));
    symlinkSync(b('t\xfa'), at(m, b('s\xfb')));
    // A dir that already has a redirect moves again: its redirect is read back as bytes.
    renameSync(osPath(at(m, b('m\xf0'), b('r\xe8'))), osPath(at(m, b('r3\xe9'))));
    // An unnamed file linked in under such a name (O_TMPFILE + linkat), and a fifo.
    if (tmpfile) {
      const fd = openSync(at(m, b('d2\xfe')), O_TMPFILE | constants.O_WRONLY, 0o600);
      writeSync(fd, 'tmpfile');
      linkFd(fd, at(m, b('d2\xfe'), b('tmp\xe1')));
      closeSync(fd);
    }
    mknod(at(m, b('fifo\xe2')), constants.S_IFIFO | 0o644, 0);
    o.view = view(m, tmpfile);
    o.upper = upperPicture(d);
    return o;
  },
});
const scenario = scenarioOf(true);

await sameOnBoth(t, 'names that are not UTF-8: listed, looked up, created, copied up, renamed (redirects), linked and whited out as the kernel does', scenario);

// fuse-native's patched addon hands names over as latin1 strings of their bytes (patch item 11).
await sameOnBoth(t, 'the same on transport=fuse-native (but O_TMPFILE, which it has not)', { ...scenarioOf(false), fuseOptions: 'transport=fuse-native' });

t.test("each reads the other's upper: the kernel's through ovl-fuse, ovl-fuse's through the kernel", async (t) => {
  const [k, f] = await runTwin(t, scenario);
  const seen = (r: TwinResult) => (r.observed as { view: unknown }).view;
  t.same(seen(f), seen(k), 'the same view after the steps');
  await remountAs(t, 'fuse', k.dirs, 'redirect_dir=on');
  t.same(view(k.dirs.merged), seen(k), "ovl-fuse over the kernel's upper");
  await remountAs(t, 'kernel', f.dirs, 'redirect_dir=on');
  t.same(view(f.dirs.merged), seen(f), "the kernel over ovl-fuse's upper");
});

t.test('a name made in a lower while mounted shows, and goes, byte for byte (the layer watcher)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-bytes-watch-');
  mkdirSync(osPath(at(d.lowers[0]!, b('w\xe4'))));
  await mountFuse(t, d, '');
  const m = d.merged;
  t.same(names(at(m, b('w\xe4'))), [], 'listed once (cached)');
  t.equal(outcome(() => lstatSync(at(m, b('w\xe4'), b('neg\xf6')))), 'ENOENT', 'looked up before it exists (a negative entry)');
  writeFileSync(osPath(at(d.lowers[0]!, b('w\xe4'), b('neg\xf6'))), 'late');
  let found = 'ENOENT';
  for (let i = 0; i < 50 && found !== 'ok'; i++) {
    found = outcome(() => lstatSync(at(m, b('w\xe4'), b('neg\xf6'))));
    if (found !== 'ok') await new Promise((r) => setTimeout(r, 20));
  }
  t.equal(found, 'ok', 'found once made in the lower: the watcher named it with its bytes');
  unlinkSync(osPath(at(d.lowers[0]!, b('w\xe4'), b('neg\xf6'))));
  writeFileSync(osPath(at(d.lowers[0]!, b('w\xe4'), b('new\xf6'))), 'from the side');
  let seen: string[] = [];
  for (let i = 0; i < 50 && seen.length === 0; i++) {
    seen = names(at(m, b('w\xe4')));
    if (seen.length === 0) await new Promise((r) => setTimeout(r, 20));
  }
  t.same(seen, [hex(b('new\xf6'))], 'the new name, its bytes');
  t.equal(read(at(m, b('w\xe4'), b('new\xf6'))), 'from the side');
  unlinkSync(osPath(at(d.lowers[0]!, b('w\xe4'), b('new\xf6'))));
  for (let i = 0; i < 50 && seen.length > 0; i++) {
    seen = names(at(m, b('w\xe4')));
    if (seen.length > 0) await new Promise((r) => setTimeout(r, 20));
  }
  t.same(seen, [], 'gone');
});

// Real paths past PATH_MAX made of such names: the daemon cuts them by bytes at a '/' and reaches
// the rest through an ancestor's fd (src/sys/long-path.ts); the test reaches them the same way.
const CHAIN = Array.from({ length: 39 }, (_, i) => b(String(i).padStart(2, '0') + '\xe9'.repeat(97))).join('/');
const deep = (root: string, r: string) => shortPath(at(root, r));

await sameOnBoth(t, 'paths past PATH_MAX of names that are not UTF-8: read, copy-up, create, mkdir, rename, unlink', {
  lowers: 1,
  setup(d) {
    const l = d.lowers[0]!;
    CHAIN.split('/').forEach((_, i, c) => mkdirSync(osPath(deep(l, c.slice(0, i + 1).join('/')))));
    writeFileSync(osPath(deep(l, at(CHAIN, b('a\xff'.repeat(60))))), 'lower a');
    writeFileSync(osPath(deep(l, at(CHAIN, b('w\xfe'.repeat(60))))), 'lower w');
    releaseLongPaths(l);
  },
  steps(m) {
    const p = (n: string) => deep(m, at(CHAIN, b(n.repeat(60))));
    const o: Record<string, unknown> = {};
    o.list = names(deep(m, CHAIN));
    o.read = read(p('a\xff'));
    appendFileSync(osPath(p('a\xff')), '+'); // copy-up of the whole chain
    o.copied = read(p('a\xff'));
    writeFileSync(osPath(p('c\xe8')), 'new');
    mkdirSync(osPath(p('d\xe7')));
    renameSync(osPath(p('c\xe8')), osPath(p('r\xe6')));
    unlinkSync(osPath(p('w\xfe')));
    o.after = names(deep(m, CHAIN));
    releaseLongPaths(m);
    return o;
  },
});

t.test('transport=fuse-native: a name and its U+FFFD spelling are two files (before its patch passed bytes, one)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-bytes-native-');
  writeFileSync(osPath(at(d.lowers[0]!, b('caf\xe9'))), 'latin1');
  writeFileSync(osPath(at(d.lowers[0]!, b('caf\xef\xbf\xbd'))), 'fffd');
  await mountFuse(t, d, 'transport=fuse-native');
  const m = d.merged;
  t.same([read(at(m, b('caf\xe9'))), read(at(m, b('caf\xef\xbf\xbd')))], ['latin1', 'fffd'], 'each reads its own data');
  writeFileSync(osPath(at(m, b('n\xe8'))), 'first');
  writeFileSync(osPath(at(m, b('n\xe9'))), 'second');
  t.same([read(at(m, b('n\xe8'))), read(at(m, b('n\xe9')))], ['first', 'second'], 'two names one byte apart are two files');
  appendFileSync(osPath(at(m, b('caf\xe9'))), '+');
  unlinkSync(osPath(at(m, b('caf\xef\xbf\xbd'))));
  t.same(names(d.upper), [b('caf\xe9'), b('caf\xef\xbf\xbd'), b('n\xe8'), b('n\xe9')].map(hex).sort(), 'the copy-up and the whiteout under their own names');
  t.ok(lstatSync(at(d.upper, b('caf\xef\xbf\xbd'))).isCharacterDevice(), 'the U+FFFD one is the whiteout');
  t.equal(read(at(d.upper, b('caf\xe9'))), 'latin1+');
});
