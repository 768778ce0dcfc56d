// convert --verify on a generated legacy root holding what the Docker test images do not:
// devices, fifos, setuid files re-owned in a later layer, type changes both ways, xattr-only and
// mtime-only directory changes, names with spaces, commas, colons and newlines, long symlinks,
// mode-000 files. Every stack must mount identical to its legacy root/, the written output must
// equal analyze's estimate and find/du, and the data root must stay untouched.
import { chmodSync, linkSync, lchownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { getXattr, mknod, setTimes, setXattr } from '../../src/sys/index.js';
import { writeFakeRoot, type FakeLayer } from '../../src/dedup/fake-root.js';
import { fingerprint, truthOf } from '../helpers/ground-truth.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-edge-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const root = join(work, 'docker');
const id = (c: string) => c.repeat(64);
const at = (sec: number) => ({ sec, nsec: 123456789 });

/** Recreate a file the way applying a layer tar does: a new inode, never a write through the hard link. */
function replace(dir: string, path: string, content: string, mode = 0o644): void {
  rmSync(join(dir, path), { force: true });
  writeFileSync(join(dir, path), content, { mode });
  chmodSync(join(dir, path), mode);
}

const L0: FakeLayer = {
  id: id('a'),
  build: (d) => {
    for (const p of ['bin', 'etc', 'var/lib/x', 'tmp', 'odd: name, with commas', 'attr']) mkdirSync(join(d, p), { recursive: true });
    chmodSync(join(d, 'tmp'), 0o1777);
    writeFileSync(join(d, 'bin/tool'), 'tool binary');
    chmodSync(join(d, 'bin/tool'), 0o4755);
    linkSync(join(d, 'bin/tool'), join(d, 'bin/tool-hardlink'));
    writeFileSync(join(d, 'etc/conf'), 'a=1\n');
    setXattr(join(d, 'etc/conf'), 'user.kind', 'config');
    writeFileSync(join(d, 'etc/empty'), '');
    writeFileSync(join(d, 'etc/secret'), 'x');
    chmodSync(join(d, 'etc/secret'), 0);
    writeFileSync(join(d, 'odd: name, with commas/new\nline'), 'nl');
    writeFileSync(join(d, 'tmp/scratch'), 's');
    writeFileSync(join(d, 'var/lib/x/state'), 'st');
    symlinkSync('../etc/conf', join(d, 'bin/short'));
    symlinkSync('/a/very/long/target/that/cannot/live/inside/the/inode/because/it/is/over/sixty/bytes', join(d, 'bin/long'));
    mknod(join(d, 'fifo'), 0o010644);
    mknod(join(d, 'null'), 0o020666, (1n << 8n) | 3n);
    mknod(join(d, 'loop'), 0o060660, 7n << 8n);
    setXattr(join(d, 'attr'), 'user.dir', 'yes');
    setTimes(join(d, 'var/lib/x'), 'omit', at(1_000_000));
  },
};

const L1: FakeLayer = {
  id: id('b'),
  build: (d) => {
    replace(d, 'bin/tool', 'tool binary', 0o4755);
    lchownSync(join(d, 'bin/tool'), 1000, 1000);
    chmodSync(join(d, 'bin/tool'), 0o4755);
    rmSync(join(d, 'var/lib/x'), { recursive: true });
    symlinkSync('/elsewhere', join(d, 'var/lib/x'));
    rmSync(join(d, 'etc/conf'));
    mkdirSync(join(d, 'etc/conf'));
    writeFileSync(join(d, 'etc/conf/part'), 'b=2\n');
    setXattr(join(d, 'attr'), 'user.dir', 'changed');
    rmSync(join(d, 'fifo'));
    rmSync(join(d, 'odd: name, with commas'), { recursive: true });
    writeFileSync(join(d, 'pair-a'), 'paired');
    linkSync(join(d, 'pair-a'), join(d, 'pair-b'));
    setTimes(join(d, 'etc'), 'omit', at(2_000_000));
  },
};

const L2: FakeLayer = {
  id: id('c'),
  build: (d) => {
    rmSync(join(d, 'tmp'), { recursive: true });
    mkdirSync(join(d, 'tmp'));
    chmodSync(join(d, 'tmp'), 0o1777);
    writeFileSync(join(d, 'tmp/fresh'), 'f');
    rmSync(join(d, 'null'));
    mknod(join(d, 'null'), 0o020666, (1n << 8n) | 5n);
    rmSync(join(d, 'etc/empty'));
    setTimes(join(d, 'bin'), 'omit', at(3_000_000));
  },
};

try {
  writeFakeRoot(root, 'overlay', [{ tags: ['edge:1'], layers: [L0, L1, L2] }, { tags: ['edge-base:1'], layers: [L0] }]);
} catch (err) {
  // A throw at module level ends the process before tap runs teardowns: clean up here.
  rmSync(work, { recursive: true, force: true });
  throw err;
}

t.test('analyze on the generated root equals find/du and leaves it untouched', async (t) => {
  const before = fingerprint(root);
  const json = join(work, 'report.json');
  const r = await execa(bin, ['analyze', root, '--json', json], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(fingerprint(root), before);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const truth = truthOf([L0, L1, L2].map((l) => join(root, 'overlay', l.id, 'root')));
  const { duBytes, ...counts } = truth;
  t.same({ ...counts, diskBytes: report.imageLayers.diskBytes }, { ...counts, diskBytes: duBytes });
  for (const k of Object.keys(counts) as Array<keyof typeof counts>) t.equal(report.imageLayers[k], counts[k], k);
});

t.test('convert --verify: identical stacks, estimate = written = find/du', async (t) => {
  const out = join(work, 'out');
  const json = join(work, 'convert.json');
  const before = fingerprint(root);
  const r = await execa(bin, ['convert', root, '--out', out, '--verify', '--json', json], { reject: false });
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  t.equal(fingerprint(root), before, 'data root untouched');
  const { result, verified } = JSON.parse(readFileSync(json, 'utf8'));
  t.same(verified.map((v: { identical: boolean }) => v.identical), [true, true], r.stdout);
  t.same(result.measured, result.estimate);
  const { duBytes, ...truth } = truthOf([L0, L1, L2].map((l) => join(out, l.id, 'diff')));
  t.same(result.measured, truth);
  t.equal(result.measured.diskBytes, duBytes);

  const d1 = join(out, L1.id, 'diff');
  const d2 = join(out, L2.id, 'diff');
  const tool = statSync(join(d1, 'bin/tool'));
  t.same([tool.uid, tool.mode & 0o7777], [1000, 0o4755], 'setuid survives the chown (owner first, then mode)');
  t.equal(statSync(join(d1, 'pair-a')).ino, statSync(join(d1, 'pair-b')).ino, 'in-layer hard link kept');
  const fifo = statSync(join(d1, 'fifo'));
  t.same([fifo.isCharacterDevice(), fifo.rdev, fifo.mode & 0o7777], [true, 0, 0], 'deleted fifo → kernel whiteout');
  t.ok(statSync(join(d1, 'odd: name, with commas')).isCharacterDevice(), 'deleted dir → one whiteout');
  t.equal(getXattr(join(d2, 'tmp'), 'trusted.overlay.opaque')?.toString(), 'y', 'rm -rf tmp && mkdir tmp → opaque');
  t.equal(getXattr(join(d1, 'etc/conf'), 'trusted.overlay.opaque'), null, 'a dir over a file needs no opaque marker');
  t.equal(getXattr(join(d1, 'attr'), 'user.dir')?.toString(), 'changed', 'an xattr-only change of a dir is in the diff');
  t.equal(statSync(join(d1, 'etc')).mtimeMs, 2_000_000_123.456789, 'directory mtime restored last');
});

t.test('the same stacks verify identical through ovl-fuse', async (t) => {
  const json = join(work, 'convert-fuse.json');
  // The output of the previous test is reused: only verification runs again.
  const r = await execa(bin, ['convert', root, '--out', join(work, 'out'), '--verify-with', 'fuse', '--json', json], { reject: false });
  if (/ovl-fuse is not available in this build/.test(r.stderr)) {
    t.equal(r.exitCode, 2, 'a build without ovl-fuse refuses with a usage error');
    return;
  }
  t.equal(r.exitCode, 0, r.stdout + r.stderr);
  const { result, verified } = JSON.parse(readFileSync(json, 'utf8'));
  t.equal(result.written.length, 0, 'nothing rewritten');
  t.same(verified.map((v: { identical: boolean }) => v.identical), [true, true], r.stdout);
});
