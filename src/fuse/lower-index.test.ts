// The lower index against the plain layer-by-layer search, on real layer dirs (no mount): two
// node filesystems over the same 64 lowers, one with the index (as while the layer watcher runs),
// one without, must answer every lookup and listing alike — whiteouts, opaque dirs, a non-dir
// stopping a dir's merge, an absolute and a relative redirect, all in the middle of the stack. Then
// coherence: names made and removed through the node core (the upper), and lower changes the
// watcher reports.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { OPAQUE_YES, OverlayXattrs, parseMountOptions, resolveMountOptions } from '../format/index.js';
import { makeWhiteout, setXattr } from '../sys/index.js';
import { NO_SESSION } from './ll-core.js';
import { createOverlayFs, type OverlayFs } from './lowlevel.js';
import type { RequestContext } from './session/filesystem.js';

const ctx: RequestContext = { uid: 0, gid: 0, pid: 1 };
const ROOT = 1;
const L = 64;
const X = new OverlayXattrs(false);

function dir(p: string): void {
  mkdirSync(p, { recursive: true });
}

/** d/ in every lower, with the tricky names spread over the middle of the stack. */
function populate(lowers: string[]): void {
  const at = (i: number, ...rest: string[]) => join(lowers[i]!, 'd', ...rest);
  for (let i = 0; i < L; i++) dir(at(i));
  for (let k = 0; k < 200; k++) writeFileSync(at(k % L, `f${k}`), `file ${k}`);
  // A whiteout hides the file below it; a dir cut short by a whiteout, an opaque dir, a non-dir.
  writeFileSync(at(40, 'shadow'), 'hidden');
  makeWhiteout(at(20, 'shadow'));
  for (let i = 10; i <= 50; i++) if (i !== 30) dir(at(i, 'dw'));
  makeWhiteout(at(30, 'dw'));
  for (let i = 5; i <= 60; i++) {
    dir(at(i, 'op'));
    writeFileSync(at(i, 'op', `o${i}`), '');
  }
  setXattr(at(25, 'op'), X.name('opaque'), OPAQUE_YES);
  for (let i = 0; i < L; i++) if (i !== 12) dir(at(i, 'stop', `s${i}`));
  writeFileSync(at(12, 'stop'), 'a file in the middle');
  // An empty file with the whiteout xattr, in a lower dir marked opaque=x.
  setXattr(at(33), X.name('opaque'), 'x');
  writeFileSync(at(33, 'xw'), '');
  setXattr(at(33, 'xw'), X.name('whiteout'), '');
  writeFileSync(at(50, 'xw'), 'below the xattr whiteout');
  // Redirects: rel (relative, to its sibling src) and abs (to /elsewhere/there).
  dir(at(8, 'rel'));
  setXattr(at(8, 'rel'), X.name('redirect'), 'src');
  for (let i = 9; i < 20; i++) {
    dir(at(i, 'src'));
    writeFileSync(at(i, 'src', `r${i}`), '');
  }
  dir(at(14, 'abs'));
  setXattr(at(14, 'abs'), X.name('redirect'), '/elsewhere/there');
  for (let i = 15; i < 30; i += 3) {
    dir(join(lowers[i]!, 'elsewhere', 'there'));
    writeFileSync(join(lowers[i]!, 'elsewhere', 'there', `a${i}`), '');
  }
}

interface Pair {
  indexed: OverlayFs;
  plain: OverlayFs;
  lowers: string[];
}

function pair(t: Test): Pair {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-lidx-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const lowers = Array.from({ length: L }, (_, i) => join(root, 'l', String(i)));
  lowers.forEach(dir);
  populate(lowers);
  const make = (name: string, watching: boolean): OverlayFs => {
    const [upper, work] = [join(root, `${name}-u`), join(root, `${name}-w`)];
    for (const d of [upper, work, join(work, 'work')]) dir(d);
    const opts = `lowerdir=${lowers.join(':')},upperdir=${upper},workdir=${work},redirect_dir=on`;
    const fs = createOverlayFs(resolveMountOptions(parseMountOptions(opts)), 'auto');
    fs.init(NO_SESSION);
    fs.setWatching(watching);
    t.teardown(() => fs.destroy());
    return fs;
  };
  return { indexed: make('i', true), plain: make('p', false), lowers };
}

/** What a lookup shows of `name`: absent, or type, size, link count and the merged listing of a dir. */
function seen(fs: OverlayFs, parent: number, name: string): string {
  const e = fs.lookup(ctx, parent, name);
  if (e.nodeid === 0) return 'absent';
  const { mode, size, nlink, ino } = e.attr;
  const kind = (mode & 0o170000) === 0o040000 ? `dir [${listing(fs, e.nodeid).join(' ')}]` : `mode ${mode.toString(8)} size ${size}`;
  return `${kind} nlink ${nlink} ino ${ino}`;
}

function listing(fs: OverlayFs, nodeid: number): string[] {
  const { fh } = fs.opendir(ctx, nodeid, 0);
  try {
    return [...fs.readdir(ctx, nodeid, fh, 0)].map((e) => e.name).filter((n) => n !== '.' && n !== '..');
  } finally {
    fs.releasedir(ctx, nodeid, fh);
  }
}

const NAMES = [
  ...Array.from({ length: 200 }, (_, k) => `f${k}`),
  'shadow', 'dw', 'op', 'stop', 'xw', 'rel', 'abs', 'src', 'nothing', 'f200',
];

function lookAll(fs: OverlayFs, names: readonly string[] = NAMES): Record<string, string> {
  const d = fs.lookup(ctx, ROOT, 'd').nodeid;
  return Object.fromEntries(names.map((n) => [n, seen(fs, d, n)]));
}

t.test('lookups answer alike with and without the index, by lookups alone and after a listing', async (t) => {
  const { indexed, plain } = pair(t);
  const expected = lookAll(plain);
  t.equal(expected.shadow, 'absent', 'a whiteout in the middle hides the file below it');
  t.equal(expected.xw, 'absent', 'so does an xattr whiteout');
  t.match(expected.dw, /^dir \[\]/, 'the dir cut by a whiteout lists nothing (its copies are empty)');
  t.match(expected.op, /^dir \[(o\d+ ?){21}\] nlink 1/, 'the opaque copy ends the merge: o5..o25');
  t.match(expected.stop, /^dir \[(s\d+ ?){12}\]/, 'the file in lower 12 ends the merge: s0..s11');
  t.match(expected.rel, /^dir \[(r\d+ ?){11}\]/, 'the relative redirect merges src below it');
  t.match(expected.abs, /^dir \[(a\d+ ?){5}\]/, 'the absolute redirect merges /elsewhere/there');
  t.same(lookAll(indexed), expected, 'lookups alone (the index is built once lookups missed enough)');
  t.ok(indexed.ovl.lowerIndex.stats.built >= 1, 'the index was built');
  t.same(lookAll(indexed), expected, 'again, all answered through the index');
  t.same(plain.ovl.lowerIndex.stats, { built: 0, fromListing: 0, dropped: 0 }, 'without a watcher nothing is indexed');
  const d = indexed.lookup(ctx, ROOT, 'd').nodeid;
  t.same(listing(indexed, d), listing(plain, plain.lookup(ctx, ROOT, 'd').nodeid), 'the merged listing');
});

t.test('a listing of a merged dir builds its index, and READDIRPLUS-style lookups use it', async (t) => {
  const { indexed, plain } = pair(t);
  const d = indexed.lookup(ctx, ROOT, 'd').nodeid;
  listing(indexed, d);
  t.equal(indexed.ovl.lowerIndex.stats.fromListing, 1);
  t.equal(indexed.ovl.lowerIndex.stats.built, 0, 'no second read of the lowers');
  t.same(lookAll(indexed), lookAll(plain));
});

t.test('names made and removed through the core (the upper) show at once in an indexed dir', async (t) => {
  const { indexed, plain } = pair(t);
  lookAll(indexed);
  lookAll(plain);
  for (const fs of [indexed, plain]) {
    const d = fs.lookup(ctx, ROOT, 'd').nodeid;
    fs.mknod(ctx, d, 'new', 0o100644, 0, 0);
    fs.unlink(ctx, d, 'f7');
    fs.rmdir(ctx, d, 'dw');
    fs.mkdir(ctx, d, 'dw', 0o755, 0);
    fs.mknod(ctx, d, 'dw2', 0o100600, 0, 0);
    fs.rename(ctx, d, 'f9', d, 'f9b', 0);
    fs.rename(ctx, d, 'dw2', d, 'f11', 0);
  }
  const names = [...NAMES, 'new', 'dw2', 'f9b'];
  // Objects made in the two uppers have inode numbers of their own.
  const noIno = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.replace(/ ino \d+$/, '')]));
  const after = noIno(lookAll(plain, names));
  t.match(after.new, /^mode 100644/);
  t.equal(after.f7, 'absent');
  t.equal(after.f9, 'absent');
  t.match(after.f11, /^mode 100600/);
  t.same(noIno(lookAll(indexed, names)), after);
});

t.test('lower changes reach an indexed dir through the watcher hook, and only through it', async (t) => {
  const { indexed, plain, lowers } = pair(t);
  const forget = indexed.watchTarget().forget;
  lookAll(indexed);
  const built = indexed.ovl.lowerIndex.stats.built;
  t.ok(built >= 1);
  writeFileSync(join(lowers[37]!, 'd', 'late'), 'made in a middle lower');
  makeWhiteout(join(lowers[3]!, 'd', 'f100'));
  rmSync(join(lowers[6]!, 'd', 'f6'));
  const d = indexed.lookup(ctx, ROOT, 'd').nodeid;
  t.equal(seen(indexed, d, 'late'), 'absent', 'no event yet: the index answers (and is the one in use)');
  forget('/d/late', undefined);
  forget('/d/f100', undefined);
  forget('/d/f6', undefined);
  const names = [...NAMES, 'late'];
  const after = lookAll(plain, names);
  t.match(after.late, /^mode 100\d+ size 22/);
  t.equal(after.f100, 'absent');
  t.equal(after.f6, 'absent');
  t.same(lookAll(indexed, names), after, 'after the events, as fresh as the plain search');
  t.ok(indexed.ovl.lowerIndex.stats.built > built, 'rebuilt after the change');
});

t.test('cache=never keeps every layer asked even with a watcher', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-lidx-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const lowers = Array.from({ length: 4 }, (_, i) => join(root, String(i)));
  for (const l of lowers) dir(join(l, 'd'));
  const fs = createOverlayFs(resolveMountOptions(parseMountOptions(`lowerdir=${lowers.join(':')}`)), 'never');
  fs.init(NO_SESSION);
  fs.setWatching(true);
  t.teardown(() => fs.destroy());
  const d = fs.lookup(ctx, ROOT, 'd').nodeid;
  listing(fs, d);
  for (let i = 0; i < 50; i++) fs.lookup(ctx, d, `n${i}`);
  writeFileSync(join(lowers[2]!, 'd', 'n3'), '');
  t.not(fs.lookup(ctx, d, 'n3').nodeid, 0, 'a new lower name shows without any event');
  t.same(fs.ovl.lowerIndex.stats, { built: 0, fromListing: 0, dropped: 0 });
});

t.test('over one lower, the free names creates look up first cost no lower lstat once indexed', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-lidx1-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const [lower, upper, work] = ['l', 'u', 'w'].map((n) => join(root, n)) as [string, string, string];
  for (const d of [join(lower, 'd'), upper, join(work, 'work')]) dir(d);
  writeFileSync(join(lower, 'd', 'old'), 'lower data');
  makeWhiteout(join(lower, 'd', 'gone'));
  const fs = createOverlayFs(resolveMountOptions(parseMountOptions(`lowerdir=${lower},upperdir=${upper},workdir=${work}`)), 'auto');
  fs.init(NO_SESSION);
  fs.setWatching(true);
  t.teardown(() => fs.destroy());
  const d = fs.lookup(ctx, ROOT, 'd').nodeid;
  for (let i = 0; i < 4; i++) {
    t.equal(fs.lookup(ctx, d, `n${i}`).nodeid, 0, `n${i} is free`);
    const made = fs.create(ctx, d, `n${i}`, 0o100644, 1, 0);
    fs.release(ctx, made.entry.nodeid, made.opened.fh);
  }
  t.equal(fs.ovl.lowerIndex.stats.built, 1, 'built once the lookups missed in the lower');
  t.match(seen(fs, d, 'old'), /^mode 100\d+ size 10 /, 'a lower name the index holds is still found');
  t.equal(seen(fs, d, 'gone'), 'absent', 'a whiteout in the one lower hides as before');
  t.match(seen(fs, d, 'n2'), /^mode 100\d+ size 0 /, 'a name made in the upper is found there');
  const { forget } = fs.watchTarget();
  const dropped = fs.ovl.lowerIndex.stats.dropped;
  // The client's write to a file it created is reported in the upper (layer 0).
  forget('/d/n1', undefined, 0);
  t.equal(fs.ovl.lowerIndex.stats.dropped, dropped, 'a change in the upper leaves the lower index be');
  writeFileSync(join(lower, 'd', 'late'), 'x');
  t.equal(seen(fs, d, 'late'), 'absent', 'a name added below without an event: not seen, as with many lowers');
  forget('/d/late', undefined, 1);
  t.equal(fs.ovl.lowerIndex.stats.dropped, dropped + 1, 'a change in the lower drops it');
  t.match(seen(fs, d, 'late'), /^mode 100\d+ size 1 /, 'after the watcher reports a change it is');
});
