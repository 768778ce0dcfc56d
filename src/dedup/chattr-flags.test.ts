// chattr flags on a legacy store (a review, 2026-12-07): a layer file with +i or +a cannot be
// hard-linked (link(2): EPERM), so convert and migrate copy it, and the copy had no flags (on the
// migrated store `docker run img rm /data/immut` succeeded where the legacy one refused); the plan
// counted such files as shared by hard link; verify did not compare flags; and `--remove-legacy`
// stopped halfway on one (EPERM, reported as ENOTDIR), after which a rerun refused to finish.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fingerprint } from '../../test/helpers/ground-truth.js';
import { UsageError } from '../errors.js';
import { convert } from './convert.js';
import { addLegacyContainer, writeFakeRoot } from './fake-root.js';
import { migrate } from './migrate.js';
import { compareTrees } from './verify.js';

const BASE = 'aaaa1111'.padEnd(64, '0');
const TOP = 'bbbb2222'.padEnd(64, '0');
type Tap = { teardown(fn: () => void): void };

/** Clear +i/+a below `dir` so it can be deleted (chattr -R complains about links and devices: ignored). */
function unpin(dir: string): void {
  try {
    if (existsSync(dir)) execFileSync('chattr', ['-R', '-f', '-i', '-a', dir], { stdio: 'ignore' });
  } catch {
    // chattr's exit status 1 for the whiteouts and links it cannot flag; the rest is done
  }
}

/** chattr +`letter` `path`, as the reviewer did. */
const chattr = (path: string, letter: string) => execFileSync('chattr', [`+${letter}`, path]);
/** lsattr's letters of `path` (a dir itself, not its entries), '-' dropped: 'i', 'a', 'A'… */
const lsattr = (path: string) => execFileSync('lsattr', ['-d', path], { encoding: 'utf8' }).split(' ')[0]!.replace(/[-e]/g, '');

/** A legacy root: a:1 = base (data/immut +i, data/appendonly +a, data/noatime +A, data/locked/ +i, data/plain) + top (x). */
function flaggedRoot(t: Tap): { base: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), 'ovl-chattr-'));
  t.teardown(() => {
    unpin(base);
    rmSync(base, { recursive: true, force: true });
  });
  const root = join(base, 'L');
  const build = (d: string) => {
    mkdirSync(join(d, 'data', 'locked'), { recursive: true });
    for (const f of ['immut', 'appendonly', 'noatime', 'plain', 'locked/in']) writeFileSync(join(d, 'data', f), f);
  };
  writeFakeRoot(root, 'overlay', [{ tags: ['a:1'], layers: [{ id: BASE, build }, { id: TOP, build: (d) => writeFileSync(join(d, 'x'), 'x') }] }]);
  // Set afterwards, as the reviewer did on a dockerd-built root: the files are one inode in both layers.
  const data = join(root, 'overlay', BASE, 'root', 'data');
  chattr(join(data, 'immut'), 'i');
  chattr(join(data, 'appendonly'), 'a');
  chattr(join(data, 'noatime'), 'A');
  for (const id of [BASE, TOP]) chattr(join(root, 'overlay', id, 'root', 'data', 'locked'), 'i');
  return { base, root };
}

const NAMES = ['immut', 'appendonly', 'noatime', 'locked', 'plain'];
const flagsIn = (diff: string) => Object.fromEntries(NAMES.map((n) => [n, lsattr(join(diff, 'data', n))]));
const WANTED = { immut: 'i', appendonly: 'a', noatime: 'A', locked: 'i', plain: '' };

t.test('convert: the copies carry the legacy files\' and dirs\' chattr flags', async (t) => {
  const { base, root } = flaggedRoot(t);
  const out = join(base, 'out');
  await convert(root, out, []);
  t.same(flagsIn(join(out, BASE, 'diff')), WANTED);
});

t.test('migrate --out: flags kept, +i/+a files not counted as shared by hard link, verify passes', async (t) => {
  const { base, root } = flaggedRoot(t);
  const out = join(base, 'new');
  const r = await migrate(root, { out });
  // base: noatime, plain, locked/in; top: x. Not immut and appendonly (link() EPERM)
  t.equal(r.plan!.linked.inodes, 4, 'only the files link() accepts are counted as shared');
  t.same(flagsIn(join(out, 'overlay2', BASE, 'diff')), WANTED);
  t.ok(r.verified.images > 0, 'verified');
});

t.test('verify names a file whose copy lost its flags', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'ovl-chattr-'));
  t.teardown(() => {
    unpin(base);
    rmSync(base, { recursive: true, force: true });
  });
  for (const side of ['a', 'b']) {
    mkdirSync(join(base, side));
    writeFileSync(join(base, side, 'f'), 'same');
    // The same times on both sides: two writes a clock tick apart differed in mtime too (a CI run).
    utimesSync(join(base, side, 'f'), 1e9, 1e9);
    utimesSync(join(base, side), 1e9, 1e9);
  }
  chattr(join(base, 'b', 'f'), 'i');
  const r = await compareTrees('x', join(base, 'a'), join(base, 'b'));
  t.notOk(r.identical);
  t.match(r.differences, [{ path: '/f', what: /inode flags: converted 0x0, legacy 0x10/ }]);
});

t.test('--remove-legacy with a +i/+a file: refused by name before anything is removed; then finished', async (t) => {
  const { root } = flaggedRoot(t);
  await migrate(root, { inPlace: true });
  const fp = fingerprint(join(root, 'overlay'));
  const err = await migrate(root, { inPlace: true, removeLegacy: true }).catch((e: unknown) => e);
  t.type(err, UsageError, 'exit 2');
  t.match((err as Error).message, /\/overlay\/a{4}1{4}0+\/root\/data\/appendonly: append-only \(chattr \+a\).*chattr -a/);
  t.same(fingerprint(join(root, 'overlay')), fp, 'nothing removed');
  t.ok(existsSync(join(root, 'image', 'overlay')));
  unpin(join(root, 'overlay'));
  const r = await migrate(root, { inPlace: true, removeLegacy: true });
  t.ok(r.removedLegacy);
  t.notOk(existsSync(join(root, 'overlay')) || existsSync(join(root, 'image', 'overlay')));
  t.same(flagsIn(join(root, 'overlay2', BASE, 'diff')), WANTED, 'the overlay2 copies keep their flags');
});

t.test('a removal stopped halfway is finished by the next run', async (t) => {
  const { root } = flaggedRoot(t);
  unpin(join(root, 'overlay'));
  await migrate(root, { inPlace: true });
  mkdirSync(join(root, '.ovl-migrate-removing'));
  renameSync(join(root, 'image', 'overlay'), join(root, '.ovl-migrate-removing', 'image-overlay'));
  const r = await migrate(root, { inPlace: true, removeLegacy: true });
  t.ok(r.removedLegacy);
  t.same(readdirSync(root).filter((n) => /overlay|removing/.test(n)).sort(), ['overlay2'], 'only overlay2 left');
});

t.test('overlay/ without image/overlay/ (no trash dir): named, not removed unverified', async (t) => {
  // A read-over: taken for a removal begun, it was removed with nothing to verify it against.
  const { root } = flaggedRoot(t);
  unpin(join(root, 'overlay'));
  await migrate(root, { inPlace: true });
  rmSync(join(root, 'image', 'overlay'), { recursive: true });
  const err = await migrate(root, { inPlace: true, removeLegacy: true }).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as Error).message, /overlay\/ remains but image\/overlay\/ is gone/);
  t.ok(existsSync(join(root, 'overlay', BASE)), 'kept');
});

t.test('migrate --out: a container layer and a volume, copied with cp -a, keep their flags too', async (t) => {
  const { base, root } = flaggedRoot(t);
  const ctr = 'f'.repeat(64);
  const rw = 'e'.repeat(64);
  addLegacyContainer(root, ctr, rw, TOP, JSON.stringify({ ID: ctr, Name: '/web', Driver: 'overlay' }));
  writeFileSync(join(root, 'overlay', rw, 'upper', 'log'), 'rw');
  chattr(join(root, 'overlay', rw, 'upper', 'log'), 'a');
  mkdirSync(join(root, 'volumes', 'v', '_data'), { recursive: true });
  writeFileSync(join(root, 'volumes', 'v', '_data', 'keep'), 'k');
  chattr(join(root, 'volumes', 'v', '_data', 'keep'), 'i');
  const out = join(base, 'new');
  await migrate(root, { out });
  t.equal(lsattr(join(out, 'overlay2', rw, 'diff', 'log')), 'a', 'the container layer');
  t.equal(lsattr(join(out, 'volumes', 'v', '_data', 'keep')), 'i', 'the volume');
});

t.test('migrate --in-place --remove-legacy in one go: the pinned file named before anything is staged', async (t) => {
  const { root } = flaggedRoot(t);
  const err = await migrate(root, { inPlace: true, removeLegacy: true }).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as Error).message, /^\S+\/data\/appendonly: append-only/);
  t.notOk(existsSync(join(root, 'overlay2')), 'nothing migrated');
  t.ok(existsSync(join(root, 'overlay', BASE, 'root')) && existsSync(join(root, 'image', 'overlay')));
});

t.test('--remove-legacy with the root or image/ immutable: named before anything is removed', async (t) => {
  const { root } = flaggedRoot(t);
  unpin(join(root, 'overlay'));
  await migrate(root, { inPlace: true });
  chattr(join(root, 'image'), 'i');
  t.teardown(() => void execFileSync('chattr', ['-i', join(root, 'image')]));
  const err = await migrate(root, { inPlace: true, removeLegacy: true }).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as Error).message, /\/image: immutable \(chattr \+i\)/);
  t.ok(existsSync(join(root, 'image', 'overlay')) && existsSync(join(root, 'overlay')), 'nothing removed');
});

t.test('migrate --out: a .partial- piece a killed run left holding an immutable copy is removed on the rerun', async (t) => {
  // A copy of a +i legacy file is +i (flags are kept): a kill -9 after it leaves it so. A read-over
  // found the rerun refusing to remove it.
  const { base, root } = flaggedRoot(t);
  const out = join(base, 'new');
  const piece = join(out, '.ovl-migrate', 'overlay2', `.partial-${BASE}`, 'diff', 'data');
  mkdirSync(piece, { recursive: true });
  writeFileSync(join(piece, 'immut'), 'x');
  chattr(join(piece, 'immut'), 'i');
  t.teardown(() => unpin(join(out, '.ovl-migrate')));
  await migrate(root, { out });
  t.equal(lsattr(join(out, 'overlay2', BASE, 'diff', 'data', 'immut')), 'i', 'migrated, the copy +i as the legacy file');
  t.notOk(existsSync(join(out, '.ovl-migrate')), 'the staging dir is gone');
});
