// Regressions of the review of metacopy=on and data-only layers (6791d75..bad7ecd), through
// ovl-fuse next to kernel overlayfs (test/helpers/side-by-side.ts): a data-only redirect to no
// file, absolute and too-long redirects, fds held across a metadata-only copy-up and a hard link's
// data copy-up, and the options the kernel refuses without an upper.
import {
  appendFileSync, chmodSync, closeSync, fchmodSync, fstatSync, futimesSync, linkSync, lstatSync, mkdirSync,
  openSync, readFileSync, renameSync, unlinkSync, utimesSync, writeFileSync, writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { escapePath } from '../../src/format/index.js';
import { isMounted, mountOverlay, setXattr, umountSurely } from '../../src/sys/index.js';
import { ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';
import { mountWith } from '../helpers/mount-target.js';
import { remountAs } from '../helpers/twin.js';
import {
  acrossRemount, dirMarks, lowerLinks, preadAll, SIZE, T0, T1, attempt, dataLayerOptions, dataOf, describe,
  done, listing, lowerFiles, metacopyStub, nameObs, observeNames, onEach, sameAsKernel, timeName,
} from '../helpers/side-by-side.js';

/** The operations that copy a file up (metadata only) and the file each is tried on. */
const MISSING_OPS = ['chmod', 'rename', 'link', 'setxattr', 'utimes'] as const;

t.test('data-only layers: a metacopy file whose redirect names no data file refuses every copy-up (ENOENT), as the kernel', async (t) => {
  const runs = await onEach(
    t,
    'missing-data',
    {
      lowers: 2,
      fill(d) {
        const [l1, data] = d.lowers as [string, string];
        writeFileSync(join(data, 'blob'), dataOf('blob'));
        // One file per operation, so that each is refused on its own.
        for (const n of MISSING_OPS) metacopyStub(join(l1, n), `/missing-${n}`);
        metacopyStub(join(l1, 'g'), '/blob');
      },
      mount: mountWith((d) => dataLayerOptions(d, '::')),
      run(d) {
        const m = (n: string) => join(d.merged, n);
        const stat = attempt(() => lstatSync(m('chmod')).size);
        const ops = {
          chmod: done(() => chmodSync(m('chmod'), 0o600)),
          rename: done(() => renameSync(m('rename'), m('renamed'))),
          link: done(() => linkSync(m('link'), m('linked'))),
          setxattr: done(() => setXattr(m('setxattr'), 'user.x', '1')),
          utimes: done(() => utimesSync(m('utimes'), T1, T1)),
          'chmod of one whose data is there': done(() => chmodSync(m('g'), 0o600)),
        };
        return { stat, ops, after: observeNames(d, [...MISSING_OPS, 'renamed', 'linked', 'g'], []).names, root: listing(d.merged) };
      },
    },
    'ovlkit-datalayer',
  );
  sameAsKernel(t, runs);
  const k = runs.kernel?.seen;
  if (!k) return;
  t.equal(k.stat, SIZE, 'stat works');
  const enoent = Object.fromEntries(MISSING_OPS.map((op) => [op, { error: 'ENOENT' }]));
  t.same(k.ops, { ...enoent, 'chmod of one whose data is there': 'ok' }, 'the kernel: ENOENT for each');
  t.same(runs.kernel!.upper, { g: { type: 'file', size: SIZE, sparse: true, nlink: 1, inode: 'g', metacopy: '', redirect: null, origin: true } }, 'and copies up nothing for them');
});

t.test('metacopy=on: a rename in its dir of a lower file with other links writes an absolute redirect, as the kernel', async (t) => {
  const runs = await onEach(t, 'abs-redirect', {
    options: 'metacopy=on',
    fill(d) {
      lowerLinks(d, ['h1', 'h2', 'h3']);
      mkdirSync(join(d.lowers[0]!, 'dd'));
    },
    async run(d, remount) {
      const m = (n: string) => join(d.merged, n);
      const ops = {
        rename: done(() => renameSync(m('h1'), m('h1r'))),
        chmod: done(() => chmodSync(m('h2'), 0o600)),
        move: done(() => renameSync(m('h3'), m('dd/h3'))),
        append: done(() => appendFileSync(m('h2'), 'more')),
      };
      const observe = () => observeNames(d, ['h1r', 'h2', 'dd/h3'], ['h1']);
      return { ops, ...(await acrossRemount(observe, remount)) };
    },
  });
  sameAsKernel(t, runs);
  const k = runs.kernel;
  if (!k) return;
  t.match(k.upper.h1r, { metacopy: '', redirect: '/h1' }, 'the kernel: an absolute redirect in the same dir');
  t.equal(nameObs(k.seen.remounted, 'h1r').data, describe(dataOf('h1')), 'read back through it');
});

t.test('metacopy=on: a move whose absolute redirect would pass 256 bytes is EXDEV, the upper left as the kernel leaves it', async (t) => {
  const L = 'a'.repeat(100);
  const deep = `${L}/${L}/${L}`;
  const runs = await onEach(t, 'long-redirect', {
    options: 'metacopy=on',
    fill(d) {
      lowerFiles(d, [`${deep}/f`, 'x']);
      mkdirSync(join(d.lowers[0]!, 't'));
    },
    run(d) {
      const m = (n: string) => join(d.merged, n);
      return {
        rename: done(() => renameSync(m(`${deep}/f`), m('t/f'))),
        'a short one': done(() => renameSync(m('x'), m('t/x'))),
        ...observeNames(d, [`${deep}/f`, 't/f', 't/x'], [`${deep}/f`, 'x']),
        marks: dirMarks(d.upper),
      };
    },
  });
  sameAsKernel(t, runs);
  const k = runs.kernel;
  if (!k) return;
  t.same(k.seen.rename, { error: 'EXDEV' }, 'the kernel refuses the move');
  t.equal(k.seen['a short one'], 'ok', 'a short move works');
  t.same(k.seen.marks.t, { impure: 'y' }, 'the destination dir is marked impure');
  t.match(k.upper[`${deep}/f`], { metacopy: '' }, 'the source left a metacopy copy');
});

t.test('metacopy=on: read-only fds across a metadata-only copy-up, as on the kernel', async (t) => {
  const runs = await onEach(t, 'ro-fd', {
    options: 'metacopy=on',
    fill(d) {
      for (const [n, data] of [['f', 'orig'], ['g', 'gggg'], ['h', 'hhhh']]) {
        writeFileSync(join(d.lowers[0]!, n!), data!);
        utimesSync(join(d.lowers[0]!, n!), T0, T0);
      }
    },
    run(d) {
      const m = (n: string) => join(d.merged, n);
      const fd = openSync(m('f'), 'r');
      const fd2 = openSync(m('g'), 'r');
      const fd4 = openSync(m('h'), 'r');
      let fd3 = -1;
      try {
        const f: Record<string, unknown> = { r1: preadAll(fd) };
        f.chmod = done(() => chmodSync(m('f'), 0o600));
        f.mode = fstatSync(fd).mode.toString(8);
        f.r2 = preadAll(fd);
        f.rename = done(() => renameSync(m('f'), m('f2')));
        f.append = done(() => appendFileSync(m('f2'), 'NEW'));
        f.r3 = preadAll(fd);
        f.size = fstatSync(fd).size;
        const g: Record<string, unknown> = {};
        g.chmod = done(() => chmodSync(m('g'), 0o600));
        g.rename = done(() => renameSync(m('g'), m('g2')));
        g.r = preadAll(fd2);
        fd3 = openSync(m('g2'), 'r');
        g.unlink = done(() => unlinkSync(m('g2')));
        g.fchmod = done(() => fchmodSync(fd3, 0o644));
        g.mode = fstatSync(fd3).mode.toString(8);
        g.r3 = preadAll(fd3);
        // Opened before its chmod, then unlinked: stat'ed and changed as the upper copy.
        const h: Record<string, unknown> = {};
        h.chmod = done(() => chmodSync(m('h'), 0o600));
        h.unlink = done(() => unlinkSync(m('h')));
        h.fstat = attempt(() => ({ mode: fstatSync(fd4).mode.toString(8), nlink: fstatSync(fd4).nlink }));
        h.fchmod = done(() => fchmodSync(fd4, 0o640));
        h.futimes = done(() => futimesSync(fd4, T1, T1));
        h.after = attempt(() => ({ mode: fstatSync(fd4).mode.toString(8), mtime: timeName(fstatSync(fd4).mtimeMs) }));
        h.r = preadAll(fd4);
        return { f, g, h };
      } finally {
        for (const x of [fd, fd2, fd3, fd4]) if (x >= 0) closeSync(x);
      }
    },
  });
  sameAsKernel(t, runs);
  const k = runs.kernel?.seen;
  if (!k) return;
  t.match(k.f, { mode: '100600', r3: describe(Buffer.from('origNEW')), size: 7 }, 'the kernel: the old fd shows the new mode and reads the appended data');
  t.match(k.g, { unlink: 'ok', fchmod: 'ok', mode: '100644' }, 'the kernel: fchmod through the fd of an unlinked metacopy file works');
  t.same(k.h, { chmod: 'ok', unlink: 'ok', fstat: { mode: '100600', nlink: 0 }, fchmod: 'ok', futimes: 'ok', after: { mode: '100640', mtime: 'T1' }, r: describe(Buffer.from('hhhh')) }, 'the kernel: an fd opened before the chmod is the unlinked copy');
});

t.test('metacopy=on: an fd held on a link of a lower hard link reads what is appended through the other name, as on the kernel', async (t) => {
  // The dev transport's page cache hid the daemon's stale fd; the path-based transport reads through it.
  for (const transport of ['dev', 'fuse-native'] as const) {
    await t.test(`transport=${transport}`, async (t) => {
      const runs = await onEach(t, 'link-fd', {
        fill(d) {
          lowerLinks(d, ['h1', 'h2'], Buffer.from('hl-data'));
          writeFileSync(join(d.lowers[0]!, 's'), 'solo');
          utimesSync(join(d.lowers[0]!, 's'), T0, T0);
        },
        mount: (t, target, d) => remountAs(t, target, d, target === 'kernel' ? 'metacopy=on' : `metacopy=on,transport=${transport}`),
        run(d) {
          const m = (n: string) => join(d.merged, n);
          const out: Record<string, unknown> = {};
          for (const [n, x] of [['h1', 'x'], ['s', 's2']] as const) {
            out[`link ${n}`] = done(() => linkSync(m(n), m(x)));
            const fd = openSync(m(x), 'r');
            try {
              const r1 = preadAll(fd);
              const w = openSync(m(n), 'a');
              writeSync(w, '+NEW');
              closeSync(w);
              out[x] = { r1, r2: preadAll(fd), path: describe(readFileSync(m(x))) };
            } finally {
              closeSync(fd);
            }
          }
          return out;
        },
      });
      sameAsKernel(t, runs);
      const k = runs.kernel?.seen;
      if (!k) return;
      t.match(k.x, { r1: describe(Buffer.from('hl-data')), r2: describe(Buffer.from('hl-data+NEW')) }, 'the kernel: the held fd reads the new data');
      t.match(runs.kernel!.upper.x, { metacopy: null, redirect: '/h1', nlink: 2, inode: 'h1' }, 'the kernel: h1 and x one upper inode, its data copied');
    });
  }
});

t.test('metacopy=on with redirect_dir=nofollow and no upper: refused by the kernel (EINVAL), ovl-fuse exits 2', async (t) => {
  const d = layerDirs(t, 2, 'ovlkit-metacopy-opts-');
  const [a, b] = d.lowers.map(escapePath) as [string, string];
  for (const lowers of [`${a}:${b}`, `${a}::${b}`]) {
    const opts = `lowerdir=${lowers},metacopy=on,redirect_dir=nofollow`;
    t.same(attempt(() => mountOverlay(opts, d.merged)), { error: 'EINVAL' }, `kernel: ${lowers.replace(d.root, '…')}`);
    const r = await execa(ovlFuseBin, ['-o', opts, d.merged], { reject: false, env: { CI: '' } });
    if (isMounted(d.merged)) await umountSurely(d.merged);
    t.equal(r.exitCode, 2, `ovl-fuse exits 2 for ${lowers.replace(d.root, '…')}`);
    t.match(r.stderr, /conflicting options: metacopy=on,redirect_dir=nofollow/);
  }
});
