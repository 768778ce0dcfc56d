// FALLOCATE, LSEEK, COPY_FILE_RANGE and TMPFILE as the session loop calls them (no mount): the
// node ids and handles reach the real files, an O_TMPFILE node has no name until LINK, and its
// lookup count goes back like any other.
import { constants, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMountOptions } from '../format/index.js';
import t, { type Test } from 'tap';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, SEEK_DATA, SEEK_HOLE } from '../sys/space.js';
import { createOverlayFs, type OverlayFs } from './lowlevel.js';
import type { RequestContext } from './session/filesystem.js';

const ctx: RequestContext = { uid: 1000, gid: 1000, pid: 1 };
const ROOT = 1;
const K = 4096;

function layers(t: Test): { fs: OverlayFs; upper: string } {
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-llspace-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const [lower, upper, work] = ['lower', 'upper', 'work'].map((n) => join(root, n)) as [string, string, string];
  for (const d of [lower, upper, work, join(work, 'work'), join(lower, 'd')]) mkdirSync(d);
  writeFileSync(join(lower, 'f'), Buffer.alloc(8 * K, 'f'));
  const fs = createOverlayFs(resolveMountOptions({ lowerdirs: [lower], datadirs: [], upperdir: upper, workdir: work, extra: {} }), 'auto');
  t.teardown(() => fs.destroy());
  return { fs, upper };
}

t.test('fallocate and SEEK_DATA/SEEK_HOLE act on the copied-up file of the handle', async (t) => {
  const { fs, upper } = layers(t);
  const f = fs.lookup(ctx, ROOT, 'f');
  const { fh } = fs.open(ctx, f.nodeid, constants.O_RDWR);
  fs.fallocate!(ctx, f.nodeid, fh, K, 2 * K, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
  fs.fallocate!(ctx, f.nodeid, fh, 8 * K, 4 * K, 0);
  t.equal(fs.lseek!(ctx, f.nodeid, fh, 0, SEEK_HOLE), K);
  t.equal(fs.lseek!(ctx, f.nodeid, fh, K, SEEK_DATA), 3 * K);
  t.throws(() => fs.lseek!(ctx, f.nodeid, fh, 12 * K, SEEK_DATA), { code: 'ENXIO' });
  t.throws(() => fs.fallocate!(ctx, f.nodeid, fh, 0, K, FALLOC_FL_PUNCH_HOLE), { code: 'EOPNOTSUPP' });
  fs.release(ctx, f.nodeid, fh);
  t.equal(lstatSync(join(upper, 'f')).size, 12 * K, 'the upper copy grew');
});

t.test('copy_file_range from a lower file into an upper one', async (t) => {
  const { fs, upper } = layers(t);
  const f = fs.lookup(ctx, ROOT, 'f');
  const made = fs.create(ctx, ROOT, 'g', 0o644, constants.O_WRONLY, 0);
  const src = fs.open(ctx, f.nodeid, constants.O_RDONLY);
  t.equal(fs.copyFileRange!(ctx, f.nodeid, src.fh, K, made.entry.nodeid, made.opened.fh, 0, 2 * K, 0), 2 * K);
  t.throws(() => fs.copyFileRange!(ctx, f.nodeid, src.fh, 0, made.entry.nodeid, made.opened.fh, 0, K, 1), { code: 'EINVAL' });
  fs.release(ctx, f.nodeid, src.fh);
  fs.release(ctx, made.entry.nodeid, made.opened.fh);
  t.equal(readFileSync(join(upper, 'g'), 'utf8'), 'f'.repeat(2 * K));
  t.notOk(readdirSync(upper).includes('f'), 'the source was only read, not copied up');
});

t.test('TMPFILE: an unnamed node in a copied-up parent, owned by the caller, named by LINK', async (t) => {
  const { fs, upper } = layers(t);
  const d = fs.lookup(ctx, ROOT, 'd');
  const { entry, opened } = fs.tmpfile!(ctx, d.nodeid, 0o640, constants.O_RDWR, 0o022);
  t.same([entry.attr.nlink, entry.attr.uid, entry.attr.mode & 0o777], [0, 1000, 0o640]);
  t.same(readdirSync(join(upper, 'd')), [], 'the parent is copied up, the file has no name');
  fs.write(ctx, entry.nodeid, opened.fh, 0, Buffer.from('tmp'), 0);
  const named = fs.link(ctx, entry.nodeid, d.nodeid, 'named');
  t.not(named.nodeid, 0);
  t.throws(() => fs.link(ctx, entry.nodeid, d.nodeid, 'named'), { code: 'EEXIST' });
  fs.release(ctx, entry.nodeid, opened.fh);
  fs.forget(entry.nodeid, 1);
  t.equal(readFileSync(join(upper, 'd/named'), 'utf8'), 'tmp');
  t.equal(lstatSync(join(upper, 'd/named')).uid, 1000);
  t.throws(() => fs.tmpfile!(ctx, fs.lookup(ctx, ROOT, 'f').nodeid, 0o600, constants.O_RDWR, 0), { code: 'ENOTDIR' });
});
