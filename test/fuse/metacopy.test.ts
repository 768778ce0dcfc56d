// metacopy=on through ovl-fuse next to kernel overlayfs (test/helpers/side-by-side.ts): an upper
// the kernel wrote with metacopy=on mounted without it (lookups refused) and with it (data from the
// lower), the metadata-only copy-up of each metadata op, the data copy-up that follows a write or
// truncate (same upper inode, metacopy xattr gone), and an fd opened before that copy-up.
import {
  appendFileSync, chmodSync, chownSync, closeSync, constants, fstatSync, linkSync, lstatSync, mkdirSync, openSync,
  readFileSync, readSync, renameSync, truncateSync, utimesSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, removeXattr, setXattr, umountSurely } from '../../src/sys/index.js';
import { type LayerDirs, mountKernel } from '../helpers/layers.js';
import {
  acrossRemount, OVL, SIZE, T1, attempt, dataOf, describe, done, listing, lowerFiles, nameObs, observeNames, onEach, sameAsKernel,
} from '../helpers/side-by-side.js';

/** The names case 1 and 2 read, and the lower files they come from. */
const KMC_LOWER = ['d1/chm', 'd1/ren', 'd1/lnk', 'd1/plain'];
const KMC_NAMES = ['d1/chm', 'd1/ren', 'd2/ren-b', 'd1/lnk', 'd2/lnk-b', 'd1/plain'];

/**
 * An upper written by the kernel with metacopy=on: a chmod (with a user xattr to copy), a rename
 * to another dir and a link, each leaving a metadata-only copy; then unmounted.
 */
async function kernelMetacopyUpper(d: LayerDirs): Promise<void> {
  lowerFiles(d, KMC_LOWER);
  mkdirSync(join(d.lowers[0]!, 'd2'));
  setXattr(join(d.lowers[0]!, 'd1/chm'), 'user.keep', '1');
  mountKernel(d, { metacopy: true });
  const m = d.merged;
  chmodSync(join(m, 'd1/chm'), 0o600);
  renameSync(join(m, 'd1/ren'), join(m, 'd2/ren-b'));
  linkSync(join(m, 'd1/lnk'), join(m, 'd2/lnk-b'));
  await umountSurely(m);
}

/** Everything a reader sees of the kernel-made upper: names, listings of their dirs, inode relations. */
function observeKernelUpper(d: LayerDirs) {
  return {
    ...observeNames(d, KMC_NAMES, KMC_LOWER),
    readdir: { d1: listing(join(d.merged, 'd1')), d2: listing(join(d.merged, 'd2')), 'd2 again': listing(join(d.merged, 'd2')), '/': listing(d.merged) },
  };
}


t.test('an upper the kernel wrote with metacopy=on, mounted without metacopy: its lookups are refused as by the kernel', async (t) => {
  const runs = await onEach(t, 'off', { fill: kernelMetacopyUpper, run: observeKernelUpper });
  sameAsKernel(t, runs);
  const k = runs.kernel?.seen;
  if (!k) return;
  // "refusing to follow metacopy origin": the reference is what the kernel shows, these only say the case is the one meant.
  t.same(nameObs(k, 'd1/chm').stat, { error: 'EPERM' }, 'the kernel refuses a metacopy file under metacopy=off');
  t.same(nameObs(k, 'd2/ren-b').data, { error: 'EPERM' }, 'and its open');
  t.notOk('error' in (nameObs(k, 'd1/plain').stat as object), 'an untouched lower file is fine');
  // The kernel's merged readdir looks each upper name up for its d_ino (the dir is impure); a refused
  // lookup fails the getdents call only when that call has emitted nothing yet, and the name is then
  // skipped. So whether a listing fails depends on where the refused names fall among the calls
  // (upper readdir order, '.' and '..' first): on ext4 here d1 lists ['plain'], d2 fails EPERM.
  for (const dir of ['d1', 'd2', 'd2 again'] as const) {
    const l = k.readdir[dir];
    t.ok(Array.isArray(l) ? !l.some((n) => ['chm', 'lnk', 'lnk-b', 'ren-b'].includes(n)) : l.error === 'EPERM', `${dir}: refused names are never listed`);
  }
});

t.test('the same upper mounted with metacopy=on: data from the lower, stat and listxattr as the kernel shows', async (t) => {
  const runs = await onEach(t, 'on', { fill: kernelMetacopyUpper, options: 'metacopy=on', run: observeKernelUpper });
  sameAsKernel(t, runs);
  const k = runs.kernel?.seen;
  if (!k) return;
  t.equal(nameObs(k, 'd2/ren-b').data, describe(dataOf('ren')), 'the renamed metacopy file reads its lower data (redirect)');
  t.match(nameObs(k, 'd1/chm').stat, { mode: '100600', size: SIZE, blocks: 40 }, "the copy's mode, the lower data's blocks");
  t.same(nameObs(k, 'd1/chm').listxattr, ['user.keep'], 'overlay xattrs hidden, the copied user xattr shown');
  t.equal(k.ino['d2/lnk-b'], 'lower d1/lnk', 'a link keeps the lower inode number');
  t.same(runs.kernel!.upper['d1/chm'], { type: 'file', size: SIZE, sparse: true, nlink: 1, inode: 'd1/chm', metacopy: '', redirect: null, origin: true });
});

/** Case 3's lower files, one per metadata operation. */
const META_LOWER = ['d1/chm', 'd1/chw', 'd1/utm', 'd1/setx', 'd1/rmx', 'd1/ren', 'd1/mv', 'd1/lnk', 'd1/plain'];
const META_NAMES = ['d1/chm', 'd1/chw', 'd1/utm', 'd1/setx', 'd1/rmx', 'd1/ren', 'd1/ren-b', 'd1/mv', 'd2/mv-b', 'd1/lnk', 'd2/lnk-b', 'd1/plain'];

t.test('metacopy=on: each metadata operation makes a metadata-only copy as on the kernel', async (t) => {
  const runs = await onEach(t, 'meta', {
    options: 'metacopy=on',
    fill(d) {
      lowerFiles(d, META_LOWER);
      mkdirSync(join(d.lowers[0]!, 'd2'));
      setXattr(join(d.lowers[0]!, 'd1/rmx'), 'user.y', '1');
    },
    async run(d, remount) {
      const m = (n: string) => join(d.merged, n);
      const ops = {
        chmod: done(() => chmodSync(m('d1/chm'), 0o640)),
        chown: done(() => chownSync(m('d1/chw'), 1000, 1000)),
        utimes: done(() => utimesSync(m('d1/utm'), T1, T1)),
        setxattr: done(() => setXattr(m('d1/setx'), 'user.x', 'v')),
        removexattr: done(() => removeXattr(m('d1/rmx'), 'user.y')),
        'rename in dir': done(() => renameSync(m('d1/ren'), m('d1/ren-b'))),
        'rename across dirs': done(() => renameSync(m('d1/mv'), m('d2/mv-b'))),
        link: done(() => linkSync(m('d1/lnk'), m('d2/lnk-b'))),
      };
      const observe = () => ({ ...observeNames(d, META_NAMES, META_LOWER), readdir: { d1: listing(m('d1')), d2: listing(m('d2')) } });
      // The same target reading back the metacopy files it wrote.
      return { ops, ...(await acrossRemount(observe, remount)) };
    },
  });
  sameAsKernel(t, runs);
  const k = runs.kernel;
  if (!k) return;
  for (const n of ['d1/chm', 'd1/chw', 'd1/utm', 'd1/setx', 'd1/rmx', 'd1/ren-b', 'd2/mv-b', 'd1/lnk', 'd2/lnk-b']) {
    t.match(k.upper[n], { type: 'file', sparse: true, metacopy: '' }, `${n}: a metadata-only copy on the kernel`);
  }
  t.match(k.upper['d2/mv-b'], { redirect: '/d1/mv' }, 'a rename across dirs: an absolute redirect');
  t.equal(nameObs(k.seen.mounted, 'd2/mv-b').data, describe(dataOf('mv')), 'the moved file reads the lower data');
});

t.test('metacopy=on: a write or truncate after a metadata-only copy copies the data into the same upper inode', async (t) => {
  const files = ['d1/app', 'd1/trn', 'd1/otr', 'd1/meta'];
  const runs = await onEach(t, 'data', {
    options: 'metacopy=on',
    fill: (d) => lowerFiles(d, files),
    run(d) {
      const m = (n: string) => join(d.merged, n);
      const up = (n: string) => join(d.upper, n);
      for (const n of files) chmodSync(m(n), 0o640);
      const before = Object.fromEntries(files.map((n) => [n, lstatSync(up(n)).ino]));
      const metacopyBefore = Object.fromEntries(files.map((n) => [n, getXattr(up(n), OVL.name('metacopy')) !== null]));
      const ops = {
        append: done(() => appendFileSync(m('d1/app'), 'x')),
        truncate: done(() => truncateSync(m('d1/trn'), 3)),
        'O_TRUNC open': done(() => closeSync(openSync(m('d1/otr'), constants.O_WRONLY | constants.O_TRUNC))),
      };
      return {
        ops,
        metacopyBefore,
        // Within this target: the data copy-up keeps the upper inode the metadata copy made.
        sameUpperInode: Object.fromEntries(files.map((n) => [n, attempt(() => lstatSync(up(n)).ino === before[n])])),
        ...observeNames(d, files, files),
      };
    },
  });
  sameAsKernel(t, runs);
  const k = runs.kernel;
  if (!k) return;
  t.same(k.seen.sameUpperInode, { 'd1/app': true, 'd1/trn': true, 'd1/otr': true, 'd1/meta': true }, 'the kernel copies the data in place');
  t.equal(nameObs(k.seen, 'd1/app').data, describe(Buffer.concat([dataOf('app'), Buffer.from('x')])), 'append after the lower data');
  t.equal(nameObs(k.seen, 'd1/trn').data, describe(Buffer.from('trn')), 'truncate keeps the first bytes of the lower data');
  for (const n of ['d1/app', 'd1/trn', 'd1/otr']) t.match(k.upper[n], { metacopy: null, sparse: false }, `${n}: metacopy gone on the kernel`);
  t.match(k.upper['d1/meta'], { metacopy: '', sparse: true }, 'the file only chmodded stays metadata-only');
});

t.test('metacopy=on: an fd opened before the data copy-up reads the new data, as on the kernel', async (t) => {
  const runs = await onEach(t, 'fd', {
    options: 'metacopy=on',
    fill: (d) => lowerFiles(d, ['meta', 'plain']),
    run(d) {
      const out: Record<string, unknown> = {};
      // 'meta': a metadata-only copy whose data is still the lower's; 'plain': a lower file never copied.
      chmodSync(join(d.merged, 'meta'), 0o640);
      for (const n of ['meta', 'plain']) {
        const p = join(d.merged, n);
        const old = openSync(p, 'r');
        const read8 = () => {
          const b = Buffer.alloc(8);
          return b.toString('latin1', 0, readSync(old, b, 0, 8, 0));
        };
        try {
          const before = read8();
          const w = openSync(p, 'r+');
          writeSync(w, 'NEW', 0);
          closeSync(w);
          out[n] = { before, after: read8(), size: fstatSync(old).size, fresh: readFileSync(p).subarray(0, 8).toString('latin1') };
        } finally {
          closeSync(old);
        }
      }
      return out;
    },
  });
  sameAsKernel(t, runs);
  const k = runs.kernel?.seen as Record<string, { after: string }> | undefined;
  if (k) t.equal(k.meta!.after, 'NEWa\nmet', 'the old fd of a metacopy file reads the data written through another open');
});
