// ovl-fuse next to kernel overlayfs: renames (EXDEV for lower dirs, whiteout at a renamed lower
// file, opaque on a renamed upper dir), hard links (link() shares the upper inode; copy-up of
// one alias breaks a lower hard link), symlinks and special files.
import { appendFileSync, chmodSync, linkSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { mknod } from '../../src/sys/index.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, sameOnBoth } from '../helpers/twin.js';

const ls = (p: string) => readdirSync(p).sort();
const ino = (p: string) => lstatSync(p).ino;

const same = (name: string, s: Scenario) => sameOnBoth(t, name, s);

await same('04 dir rename: EXDEV for lower and merged dirs, upper dirs move', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    mkdirSync(join(l1, 'ld'));
    writeFileSync(join(l1, 'ld', 'f'), 'f');
    mkdirSync(join(l1, 'md'));
    mkdirSync(join(d.upper, 'md'));
    mkdirSync(join(l1, 'emptyl'));
    mkdirSync(join(d.upper, 'ud'));
    writeFileSync(join(d.upper, 'ud', 'u'), 'u');
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    for (const n of ['ld', 'md', 'emptyl']) o[n] = outcome(() => renameSync(join(m, n), join(m, n + '2')));
    o.ud = outcome(() => renameSync(join(m, 'ud'), join(m, 'ud2')));
    mkdirSync(join(m, 'newd'));
    o.newd = outcome(() => renameSync(join(m, 'newd'), join(m, 'newd2')));
    execFileSync('mv', [join(m, 'ld'), join(m, 'ld3')]);
    o.ld3 = ls(join(m, 'ld3'));
    o.root = ls(m);
    return o;
  },
});

await same('05 file rename: whiteout at the source, over files and whiteouts', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    for (const n of ['a', 'c', 'd', 'x']) writeFileSync(join(l1, n), n);
    writeFileSync(join(d.upper, 'b'), 'b');
    mkdirSync(join(l1, 'sub'));
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    o.unlinkA = outcome(() => renameSync(join(m, 'a'), join(m, 'sub', 'a')));
    o.bOverWhiteout = outcome(() => renameSync(join(m, 'b'), join(m, 'a')));
    o.c = outcome(() => renameSync(join(m, 'c'), join(m, 'c2')));
    o.dOverX = outcome(() => renameSync(join(m, 'd'), join(m, 'x')));
    o.fileOverDir = outcome(() => renameSync(join(m, 'c2'), join(m, 'sub')));
    o.dirOverFile = outcome(() => renameSync(join(m, 'sub'), join(m, 'x')));
    o.x = readFileSync(join(m, 'x'), 'utf8');
    o.root = ls(m);
    o.sub = ls(join(m, 'sub'));
    return o;
  },
});

await same('06 hard links with index=off', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    writeFileSync(join(l1, 'f'), 'old');
    linkSync(join(l1, 'f'), join(l1, 'g'));
    writeFileSync(join(l1, 'z'), 'z');
  },
  steps(m, d) {
    const o: Record<string, unknown> = { before: [statSync(join(m, 'f')).nlink, ino(join(m, 'f')) === ino(join(m, 'g'))] };
    appendFileSync(join(m, 'f'), '+new');
    o.f = [readFileSync(join(m, 'f'), 'utf8'), statSync(join(m, 'f')).nlink];
    o.g = [readFileSync(join(m, 'g'), 'utf8'), statSync(join(m, 'g')).nlink, ino(join(m, 'g')) === ino(join(d.lowers[0]!, 'g'))];
    o.fNewInode = ino(join(m, 'f')) !== ino(join(d.lowers[0]!, 'f'));
    linkSync(join(m, 'z'), join(m, 'z2'));
    appendFileSync(join(m, 'z2'), '2');
    o.z = [readFileSync(join(m, 'z'), 'utf8'), statSync(join(m, 'z')).nlink, ino(join(m, 'z')) === ino(join(m, 'z2'))];
    o.zKeepsLowerIno = ino(join(m, 'z')) === ino(join(d.lowers[0]!, 'z'));
    return o;
  },
  dump: { nlink: true },
});

await same('11 symlinks: target kept through copy-up, chown -h copies the link only', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    writeFileSync(join(l1, 't'), 't');
    symlinkSync('t', join(l1, 's'));
    symlinkSync('nowhere', join(l1, 'dangling'));
  },
  steps(m) {
    const o: Record<string, unknown> = { s: readlinkSync(join(m, 's')), cat: readFileSync(join(m, 's'), 'utf8') };
    o.dangling = outcome(() => statSync(join(m, 'dangling')));
    lchownSync(join(m, 's'), 1234, 4321);
    o.sOwner = [lstatSync(join(m, 's')).uid, lstatSync(join(m, 't')).uid];
    appendFileSync(join(m, 's'), '+');
    o.t = readFileSync(join(m, 't'), 'utf8');
    symlinkSync('../x', join(m, 'new'));
    o.newTarget = readlinkSync(join(m, 'new'));
    return o;
  },
});

await same('a lower symlink read through the mount keeps its atime and ctime (ovl-check observe, seed 221)', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    writeFileSync(join(l1, 'b'), '');
    symlinkSync('b', join(l1, 'a'));
    // relatime stamps a link whose atime is not after its mtime: an old pair of equal times
    execFileSync('touch', ['-h', '-d', '2001-01-01', join(l1, 'a')]);
  },
  steps(m, d) {
    const lower = join(d.lowers[0]!, 'a');
    const before = lstatSync(lower, { bigint: true });
    const mergedBefore = lstatSync(join(m, 'a'), { bigint: true });
    const o: Record<string, unknown> = { target: readlinkSync(join(m, 'a')), content: readFileSync(join(m, 'a'), 'utf8') };
    readlinkSync(join(m, 'a'));
    const after = lstatSync(lower, { bigint: true });
    const mergedAfter = lstatSync(join(m, 'a'), { bigint: true });
    o.lower = { atime: after.atimeNs === before.atimeNs, ctime: after.ctimeNs === before.ctimeNs };
    o.merged = { atime: mergedAfter.atimeNs === mergedBefore.atimeNs, ctime: mergedAfter.ctimeNs === mergedBefore.ctimeNs };
    return o;
  },
});

await same('12 special files keep their type; mknod 0/0 is EPERM', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    execFileSync('mkfifo', [join(l1, 'fifo')]);
    mknod(join(l1, 'null'), 0o020666, 0x103n);
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    execFileSync('mkfifo', [join(m, 'f2')]);
    o.mknod13 = outcome(() => execFileSync('mknod', [join(m, 'c13'), 'c', '1', '3']));
    o.mknod00 = outcome(() => mknod(join(m, 'c00'), 0o020644, 0));
    chmodSync(join(m, 'fifo'), 0o600);
    chmodSync(join(m, 'null'), 0o600);
    o.types = ['fifo', 'null', 'f2', 'c13'].map((n) => [lstatSync(join(m, n)).isFIFO(), lstatSync(join(m, n)).isCharacterDevice()]);
    writeFileSync(join(m, 'null'), 'hi');
    o.root = ls(m);
    return o;
  },
});
