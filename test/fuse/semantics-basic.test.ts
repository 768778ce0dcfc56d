// ovl-fuse next to kernel overlayfs: merge, readdir, copy-up, whiteouts, opaque dirs, inode
// numbers. Each scenario runs on both; observations and the final merged tree must be equal.
import { appendFileSync, closeSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { OPAQUE_YES, OverlayXattrs } from '../../src/format/index.js';
import { makeWhiteout, setXattr } from '../../src/sys/index.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, sameOnBoth } from '../helpers/twin.js';

const ls = (p: string) => readdirSync(p).sort();
const ino = (p: string) => lstatSync(p).ino;
const trusted = new OverlayXattrs(false);

const same = (name: string, s: Scenario) => sameOnBoth(t, name, s);

await same('01 basic merge and copy-up keep st_ino', {
  lowers: 2,
  setup(d) {
    const [l1, l2] = d.lowers as [string, string];
    writeFileSync(join(l1, 'a'), 'l1-a');
    mkdirSync(join(l1, 'd'));
    writeFileSync(join(l1, 'd', 'x'), 'x');
    writeFileSync(join(l2, 'a'), 'l2-a');
    writeFileSync(join(l2, 'b'), 'b');
    mkdirSync(join(l2, 'd'));
    writeFileSync(join(l2, 'd', 'y'), 'y');
    writeFileSync(join(d.upper, 'c'), 'c');
    mkdirSync(join(d.upper, 'd'));
    writeFileSync(join(d.upper, 'd', 'z'), 'z');
  },
  steps(m, d) {
    const [l1, l2] = d.lowers as [string, string];
    const before = { b: ino(join(m, 'b')), a: ino(join(m, 'a')) };
    const o: Record<string, unknown> = {
      root: ls(m),
      d: ls(join(m, 'd')),
      a: readFileSync(join(m, 'a'), 'utf8'),
      dNlink: statSync(join(m, 'd')).nlink,
      dInoIsL1: ino(join(m, 'd')) === ino(join(l1, 'd')),
      bInoIsLower: before.b === ino(join(l2, 'b')),
    };
    appendFileSync(join(m, 'b'), '+');
    closeSync(openSync(join(m, 'a'), 'r+'));
    writeFileSync(join(m, 'd', 'new'), 'new');
    o.bStable = ino(join(m, 'b')) === before.b;
    o.aStable = ino(join(m, 'a')) === before.a;
    o.dAfter = ls(join(m, 'd'));
    o.dirents = readdirSync(m, { withFileTypes: true }).map((e) => `${e.name}:${e.isDirectory()}`).sort();
    o.lowerUntouched = [readFileSync(join(l2, 'b'), 'utf8'), ls(join(l1, 'd'))];
    return o;
  },
});

await same('02 unlink leaves whiteouts, recreate replaces them', {
  lowers: 2,
  setup(d) {
    const [l1, l2] = d.lowers as [string, string];
    for (const n of ['a', 'b']) writeFileSync(join(l1, n), n);
    writeFileSync(join(l2, 'c'), 'c');
    writeFileSync(join(d.upper, 'e'), 'e');
    mkdirSync(join(l1, 'd'));
    writeFileSync(join(l1, 'd', 'x'), 'x');
  },
  steps(m) {
    unlinkSync(join(m, 'a'));
    appendFileSync(join(m, 'b'), '+');
    unlinkSync(join(m, 'b'));
    for (const p of ['c', 'e', 'd/x']) unlinkSync(join(m, p));
    const afterUnlink = [ls(m), ls(join(m, 'd')), outcome(() => lstatSync(join(m, 'a')))];
    writeFileSync(join(m, 'a'), 'again');
    const recreated = readFileSync(join(m, 'a'), 'utf8');
    unlinkSync(join(m, 'a'));
    return { afterUnlink, recreated, final: ls(m), twice: outcome(() => unlinkSync(join(m, 'a'))) };
  },
});

await same('03 rmdir: ENOTEMPTY on a merged dir, mkdir over a whiteout is opaque', {
  lowers: 2,
  setup(d) {
    const [l1, l2] = d.lowers as [string, string];
    mkdirSync(join(l1, 'd'));
    mkdirSync(join(l2, 'd'));
    writeFileSync(join(l2, 'd', 'deep'), 'deep');
    mkdirSync(join(l1, 'e'));
    mkdirSync(join(l1, 'f'));
    writeFileSync(join(l1, 'f', 'g'), 'g');
  },
  steps(m) {
    const o: Record<string, unknown> = { rmdirD: outcome(() => rmdirSync(join(m, 'd'))) };
    o.rmdirE = outcome(() => rmdirSync(join(m, 'e')));
    mkdirSync(join(m, 'e'));
    o.e = ls(join(m, 'e'));
    unlinkSync(join(m, 'd', 'deep'));
    o.rmdirD2 = outcome(() => rmdirSync(join(m, 'd')));
    mkdirSync(join(m, 'd'));
    o.d = ls(join(m, 'd'));
    rmSync(join(m, 'f'), { recursive: true });
    mkdirSync(join(m, 'f'));
    o.f = ls(join(m, 'f'));
    o.fNlink = statSync(join(m, 'f')).nlink;
    o.rmdirFile = outcome(() => rmdirSync(join(m, 'f', 'nope')));
    return o;
  },
});

await same('13 three lowers: whiteouts, opaque dirs, files over dirs', {
  lowers: 3,
  setup(d) {
    const [l1, l2, l3] = d.lowers as [string, string, string];
    writeFileSync(join(l1, 'dup'), '1');
    writeFileSync(join(l3, 'dup'), '3');
    writeFileSync(join(l1, 'fod'), 'file');
    mkdirSync(join(l2, 'fod'));
    writeFileSync(join(l2, 'fod', 'hidden'), '');
    mkdirSync(join(l1, 'dof'));
    writeFileSync(join(l1, 'dof', 'in'), '');
    writeFileSync(join(l2, 'dof'), 'file');
    for (const l of [l1, l2, l3]) {
      mkdirSync(join(l, 'm3'));
      writeFileSync(join(l, 'm3', l.slice(-2)), l);
    }
    writeFileSync(join(l3, 'gone'), 'g');
    makeWhiteout(join(l2, 'gone'));
    mkdirSync(join(l2, 'op'));
    writeFileSync(join(l2, 'op', 'mine'), '');
    setXattr(join(l2, 'op'), trusted.name('opaque'), OPAQUE_YES);
    mkdirSync(join(l3, 'op'));
    writeFileSync(join(l3, 'op', 'below'), '');
    symlinkSync('dup', join(l3, 'sym'));
    linkSync(join(l3, 'dup'), join(l3, 'hard'));
  },
  steps(m, d) {
    const o: Record<string, unknown> = { root: ls(m), m3: ls(join(m, 'm3')), op: ls(join(m, 'op')) };
    o.dup = readFileSync(join(m, 'dup'), 'utf8');
    o.m3Nlink = statSync(join(m, 'm3')).nlink;
    o.opNlink = statSync(join(m, 'op')).nlink;
    o.symIno = ino(join(m, 'sym')) === ino(join(d.lowers[2]!, 'sym'));
    for (const n of ls(join(m, 'm3'))) unlinkSync(join(m, 'm3', n));
    o.rmdirM3 = outcome(() => rmdirSync(join(m, 'm3')));
    o.after = ls(m);
    return o;
  },
});
