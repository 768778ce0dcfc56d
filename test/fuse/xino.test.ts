// Inode numbers when the layers are on two filesystems (src/fuse/xino.ts), through ovl-fuse next to
// kernel overlayfs (test/helpers/side-by-side.ts). On two ext4 filesystems ovl-fuse shows the
// numbers the kernel shows with `xino=on` (the layer's filesystem in bit 33 and up), in stat and in
// getdents, across a copy-up and a remount. On two tmpfs ovl-fuse's numbers are its own (the
// kernel's `xino=on` bits sit above what a JS number holds) but, as the kernel's (which gives each
// filesystem its own st_dev), never the same for two objects: before, a lower and an upper file
// both showed inode 5, and `cmp` took them for one file.
import { execFileSync } from 'node:child_process';
import { appendFileSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readDirentsDots } from '../../src/sys/index.js';
import { fuseOptions } from '../helpers/fuse.js';
import type { LayerDirs } from '../helpers/layers.js';
import { mountWith } from '../helpers/mount-target.js';
import { ext4At, tmpfsAt } from '../helpers/scratch-fs.js';
import { type Case, type Target, onEach, sameAsKernel } from '../helpers/side-by-side.js';

type Fs = 'ext4' | 'tmpfs';

/** Lower dir on one new filesystem, upper and work on another. */
function twoFilesystems(fs: Fs, options: Record<Target, string>): Pick<Case<unknown>, 'fill' | 'mount'> {
  return {
    fill(d) {
      for (const side of ['A', 'B']) {
        const at = join(d.root, side);
        if (fs === 'ext4') ext4At(d, at, '32M');
        else tmpfsAt(d, at);
      }
      d.lowers = [join(d.root, 'A/l')];
      d.upper = join(d.root, 'B/u');
      d.work = join(d.root, 'B/w');
      for (const p of [...d.lowers, d.upper, d.work]) mkdirSync(p);
      const l = d.lowers[0]!;
      mkdirSync(join(l, 'ld'));
      mkdirSync(join(l, 'md'));
      mkdirSync(join(d.upper, 'md'));
      for (const f of ['f', 'copied', 'ld/x']) writeFileSync(join(l, f), f);
    },
    mount: mountWith((d, target) => fuseOptions(d, options[target])),
  };
}

/** Names made through the mount before observing: an upper file and dir, a copy-up. */
function write(d: LayerDirs): void {
  writeFileSync(join(d.merged, 'g'), 'g');
  mkdirSync(join(d.merged, 'ud'));
  appendFileSync(join(d.merged, 'copied'), '+');
}

const NAMES = ['.', 'f', 'copied', 'ld', 'ld/x', 'md', 'g', 'ud'];

/** st_ino of each name as its parts: the bits above 33 (the filesystem's number) and which real object the rest is. */
function inodeParts(d: LayerDirs) {
  const reals = (n: string) => ({ lower: join(d.lowers[0]!, n), upper: join(d.upper, n) });
  const out: Record<string, string> = {};
  for (const n of NAMES) {
    const ino = lstatSync(join(d.merged, n), { bigint: true }).ino;
    const low = ino & ((1n << 33n) - 1n);
    let which = 'another inode';
    for (const [side, p] of Object.entries(reals(n))) {
      try {
        if (lstatSync(p, { bigint: true }).ino === low) which = side;
      } catch {
        // Not on that side.
      }
    }
    out[n] = `fs ${ino >> 33n}, ${which}'s number`;
  }
  return out;
}

/** getdents' d_ino of each entry is the st_ino lstat gives (true for all is what the kernel does when it maps). */
function dInoIsStIno(d: LayerDirs) {
  const out: Record<string, boolean> = {};
  for (const dir of ['', 'ld', 'md']) {
    for (const e of readDirentsDots(join(d.merged, dir))) {
      if (e.name === '..' && dir === '') continue; // the root's parent: the top layer's own (dotdot-ino.test.ts)
      out[join(dir, e.name)] = lstatSync(join(d.merged, dir, e.name), { bigint: true }).ino === e.ino;
    }
  }
  return out;
}

t.test('two ext4 filesystems: the kernel\'s xino=on numbers, in stat and getdents, across a copy-up and a remount', async (t) => {
  const runs = await onEach(t, 'xino-ext4', {
    ...twoFilesystems('ext4', { kernel: 'xino=on', fuse: '' }),
    async run(d, remount) {
      write(d);
      const mounted = { ino: inodeParts(d), dIno: dInoIsStIno(d) };
      await remount();
      return { mounted, remounted: { ino: inodeParts(d), dIno: dInoIsStIno(d) } };
    },
  }, 'ovlkit-xino');
  sameAsKernel(t, runs);
  t.match(runs.kernel?.seen.mounted.ino, { f: 'fs 1, lower\'s number', g: 'fs 0, upper\'s number', copied: 'fs 1, lower\'s number' }, 'the kernel, for reference');
});

t.test('two tmpfs: no two objects share a number (the kernel: no two share st_dev and st_ino), across a remount', async (t) => {
  const unique = (d: LayerDirs) => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    const names = [...readdirSync(d.merged), ...readdirSync(join(d.merged, 'ld')).map((n) => `ld/${n}`)];
    for (const n of names) {
      const st = lstatSync(join(d.merged, n), { bigint: true });
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) clashes.push(`${seen.get(key)} and ${n}`);
      else seen.set(key, n);
    }
    return { names: names.length, clashes };
  };
  const runs = await onEach(t, 'xino-tmpfs', {
    fill(d) {
      twoFilesystems('tmpfs', { kernel: '', fuse: '' }).fill!(d);
      // tmpfs numbers its inodes from 2 on each filesystem: these meet the upper's.
      for (let i = 0; i < 20; i++) writeFileSync(join(d.lowers[0]!, `n${i}`), `lower ${i}`);
    },
    mount: twoFilesystems('tmpfs', { kernel: '', fuse: '' }).mount,
    async run(d, remount) {
      write(d);
      for (let i = 0; i < 20; i++) writeFileSync(join(d.merged, `m${i}`), `upper ${i}`);
      const mounted = unique(d);
      const copiedIno = lstatSync(join(d.merged, 'copied')).ino;
      await remount();
      return { mounted, remounted: unique(d), copyKeepsItsNumber: lstatSync(join(d.merged, 'copied')).ino === copiedIno };
    },
  }, 'ovlkit-xino');
  sameAsKernel(t, runs);
  t.same(runs.fuse?.seen.mounted.clashes, [], 'ovl-fuse: none');
});

/** Two lowers, each on an ext4 image of its own, nothing else (read-only), or with an upper on a third. */
function ext4Lowers(withUpper: boolean, lower: (top: string, bottom: string) => void, upper: (u: string) => void = () => {}): Pick<Case<unknown>, 'fill' | 'mount'> {
  return {
    fill(d) {
      for (const side of ['A', 'C', ...(withUpper ? ['B'] : [])]) ext4At(d, join(d.root, side), '32M');
      d.lowers = [join(d.root, 'A/l'), join(d.root, 'C/l')];
      for (const l of d.lowers) mkdirSync(l);
      if (withUpper) {
        d.upper = join(d.root, 'B/u');
        d.work = join(d.root, 'B/w');
        mkdirSync(d.upper);
        mkdirSync(d.work);
        upper(d.upper);
      }
      lower(d.lowers[0]!, d.lowers[1]!);
    },
    mount: mountWith((d, target) => fuseOptions(d, target === 'kernel' ? 'xino=on' : '', !withUpper)),
  };
}

/** Every entry of `dirs` (dots included) with its d_ino in hex: fresh ext4 images number alike. */
function dInos(d: LayerDirs, dirs: string[]) {
  return Object.fromEntries(dirs.map((dir) => [dir || '.', Object.fromEntries(readDirentsDots(join(d.merged, dir)).map((e) => [e.name, e.ino.toString(16)]))]));
}

t.test('read-only, two ext4 lowers: every d_ino the kernel\'s xino=on one, the root\'s `..` and a listed whiteout\'s included', async (t) => {
  const runs = await onEach(t, 'xino-ro', {
    lowers: 2,
    ...ext4Lowers(false, (top, bottom) => {
      mkdirSync(join(top, 'wd'));
      writeFileSync(join(top, 'wd/f'), 'f');
      execFileSync('mknod', [join(top, 'wd/wh'), 'c', '0', '0']);
      writeFileSync(join(bottom, 'q'), 'q');
    }),
    run: (d) => dInos(d, ['', 'wd']),
  }, 'ovlkit-xino');
  sameAsKernel(t, runs);
  t.match(runs.kernel?.seen, { '.': { q: /^4/ } }, 'the kernel, for reference: the bottom lower is fsid 2');
});

t.test('numbers mapped: a merged dir lists no name its lookup hides, as the kernel then looks every name up', async (t) => {
  const runs = await onEach(t, 'xino-lookup-all', {
    lowers: 2,
    ...ext4Lowers(true, (top) => {
      mkdirSync(join(top, 'md'));
      writeFileSync(join(top, 'md/a'), 'a');
    }, (u) => {
      mkdirSync(join(u, 'md'));
      // An xattr whiteout in the upper copy of a merged dir that is not impure.
      writeFileSync(join(u, 'md/xw'), '');
      execFileSync('setfattr', ['-n', 'trusted.overlay.whiteout', '-v', '', join(u, 'md/xw')]);
    }),
    run: (d) => ({ md: readdirSync(join(d.merged, 'md')).sort() }),
  }, 'ovlkit-xino');
  sameAsKernel(t, runs);
  t.same(runs.kernel?.seen, { md: ['a'] }, 'the kernel, for reference');
});
