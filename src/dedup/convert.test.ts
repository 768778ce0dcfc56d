// convert's refusals and what it may delete, on a generated legacy root (images a:1 and b:1 over
// layers aaaa1111…, bbbb2222…, cccc3333…). Each case is one a read-only review reproduced: bad input
// must be a one-line UsageError (exit 2) before anything is written, and nothing of the user's lost.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { UsageError } from '../errors.js';
import { convert } from './convert.js';
import { writeFakeRoot, type FakeLayer } from './fake-root.js';

const layer = (id: string): FakeLayer => ({ id: id.padEnd(64, '0'), build: (dir) => writeFileSync(join(dir, id), id) });
const [A, B, C] = [layer('aaaa1111'), layer('bbbb2222'), layer('cccc3333')];

function fixture(t: { teardown(fn: () => void): void }): { work: string; root: string } {
  const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-convert-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  // Two levels down, so that the escaping cache-id below resolves to a dir the test made.
  const root = join(work, 'var', 'docker');
  mkdirSync(root, { recursive: true });
  writeFakeRoot(root, 'overlay', [{ tags: ['a:1'], layers: [A] }, { tags: ['b:1'], layers: [A, B, C] }]);
  return { work, root };
}

const cacheIdFile = (root: string, id: string): string => {
  const db = join(root, 'image', 'overlay', 'layerdb', 'sha256');
  const hex = readdirSync(db).find((h) => readFileSync(join(db, h, 'cache-id'), 'utf8') === id)!;
  return join(db, hex, 'cache-id');
};

t.test('a cache-id pointing outside the driver dir: refused, nothing outside --out deleted', async (t) => {
  const { work, root } = fixture(t);
  writeFileSync(cacheIdFile(root, C.id), '../../../rv-dedup-src');
  mkdirSync(join(work, 'rv-dedup-src', 'root'), { recursive: true });
  const parent = join(work, 'outs');
  mkdirSync(join(parent, 'rv-dedup-src'), { recursive: true });
  writeFileSync(join(parent, 'rv-dedup-src', 'precious.txt'), 'keep');
  const err = await convert(root, join(parent, 'out'), []).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as Error).message, /cache-id: .*refusing to convert an incomplete root/);
  t.equal(readFileSync(join(parent, 'rv-dedup-src', 'precious.txt'), 'utf8'), 'keep');
});

t.test('names in --out that only start like a partial dir are the user\'s: kept', async (t) => {
  const { work, root } = fixture(t);
  const out = join(work, 'out');
  mkdirSync(join(out, '.partial-notes'), { recursive: true });
  writeFileSync(join(out, '.partial-notes', 'important.txt'), 'x');
  writeFileSync(join(out, '.partial-report.txt'), 'y');
  // What an interrupted run leaves: a partial dir of a real layer id, which a rerun redoes.
  mkdirSync(join(out, `.partial-${B.id}`, 'diff'), { recursive: true });
  const r = await convert(root, out, []);
  t.same(r.written.sort(), [A.id, B.id, C.id]);
  t.equal(readFileSync(join(out, '.partial-notes', 'important.txt'), 'utf8'), 'x');
  t.equal(readFileSync(join(out, '.partial-report.txt'), 'utf8'), 'y');
  t.notOk(existsSync(join(out, `.partial-${B.id}`)), 'convert\'s own partial dir is gone');
});

t.test('a missing layer dir: refused before anything is written', async (t) => {
  const { work, root } = fixture(t);
  rmSync(join(root, 'overlay', B.id), { recursive: true });
  const out = join(work, 'out');
  const err = await convert(root, out, []).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as Error).message, new RegExp(`^${join(root, 'overlay', B.id, 'root')}: .*; refusing to convert an incomplete root`));
  t.notOk((err as Error).message.includes('\n'), 'one line');
  t.notOk(existsSync(out), 'nothing written');
  // Only the chosen images' layers count: a:1 does not need the missing one.
  t.same((await convert(root, out, ['a:1'])).written, [A.id]);
});

t.test('--out a dangling symlink: a usage error naming it', async (t) => {
  const { work, root } = fixture(t);
  const out = join(work, 'out');
  symlinkSync(join(work, 'nowhere', 'out'), out);
  const err = await convert(root, out, []).catch((e: unknown) => e);
  t.type(err, UsageError);
  t.match((err as Error).message, `--out ${out}: a dangling symlink to ${join(work, 'nowhere', 'out')}`);
  const below = await convert(root, join(out, 'sub'), []).catch((e: unknown) => e);
  t.match((below as Error).message, `--out ${join(out, 'sub')}: ${out} is a dangling symlink to`);
  t.notOk(existsSync(join(work, 'nowhere')), 'nothing made at the target');
});
