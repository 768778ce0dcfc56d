import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { file } from '../../test/helpers/entries.js';
import type { Located } from './duplicates.js';
import { CollisionStream, contentHasher, sizeCollisions } from './hash.js';
import { HashWorkers, hashInodes } from './hash-workers.js';
import { WarningLog } from './read-meta.js';
import type { Entry } from './types.js';

/** A root with two layer dirs of files (2 500, so both threads get a share), plus one name that does not exist. */
function root(t: { teardown(fn: () => void): void }): { dir: string; files: Located[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ovl-dedup-hashw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files: Located[] = [];
  for (const base of ['a/diff', 'b/diff']) {
    mkdirSync(join(dir, base, 'd'), { recursive: true });
    for (let i = 0; i < 1250; i++) {
      const path = `d/f${i}`;
      writeFileSync(join(dir, base, path), `content ${i % 7}`);
      files.push({ entry: file(path, 9, { inode: `${base}:${i}` }), base });
    }
  }
  files.push({ entry: file('d/gone', 9, { inode: 'gone:1' }), base: 'a/diff' });
  return { dir, files };
}

t.test('threads and the calling thread give every file its xxh64; an unreadable file is a warning', async (t) => {
  const { dir, files } = root(t);
  const hashOf = await contentHasher();
  const expected = new Map(files.slice(0, -1).map((f) => [f.entry.id, hashOf(join(dir, f.base, f.entry.path))]));
  for (const worker of [true, false]) {
    const log = new WarningLog();
    const got = await hashInodes(dir, files, { log, worker });
    t.same(got.entries(), [...expected].sort((x, y) => x[0] - y[0]), `worker: ${worker}`);
    t.same(log.list, [{ path: `${dir}/a/diff/d/gone`, reason: 'cannot read for hashing: ENOENT' }]);
  }
  t.equal(new Set(expected.values()).size, 7, 'seven contents');
});

t.test('files fed in batches of any size (as layers are scanned) give the same answer', async (t) => {
  const { dir, files } = root(t);
  const log = new WarningLog();
  const whole = await hashInodes(dir, files, { log: new WarningLog() });
  const threads = new HashWorkers(dir);
  for (const [from, to] of [[0, 1], [1, 40], [40, 1300], [1300, files.length]] as const) threads.feed(files.slice(from, to));
  t.same((await threads.finish({ log })).entries(), whole.entries());
  t.equal(log.list.length, 1, 'the missing file');
});

t.test('threads started ahead and closed unused end cleanly; nothing fed hashes nothing', async (t) => {
  new HashWorkers('/nonexistent').close();
  const log = new WarningLog();
  t.same((await new HashWorkers('/nonexistent').finish({ log })).entries(), []);
  t.same(log.list, []);
});

t.test('the collision stream picks exactly the inodes sizeCollisions picks, wherever they come in', async (t) => {
  const entries = [file('a', 5), file('b', 6), file('c', 5), file('d', 7), file('e', 6), file('f', 0), file('g', 0), file('h', 9)];
  const hardLink = { ...entries[0]! };
  const all = [...entries, hardLink, file('i', 9)].map((entry) => ({ entry }));
  const stream = new CollisionStream<{ entry: Entry }>();
  const due: Array<{ entry: Entry }> = [];
  for (const f of all) stream.add(f, due);
  const ids = (l: Array<{ entry: Entry }>) => l.map((f) => f.entry.id).sort((x, y) => x - y);
  t.same(ids(due), ids(sizeCollisions(all)));
  t.same(due.map((f) => f.entry.path).sort(), ['a', 'b', 'c', 'e', 'h', 'i'], 'sizes 5, 6, 9; empty and unique sizes never');
});

t.test('paths that are not ASCII reach the threads as they are, a leading U+FEFF included', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovl-dedup-hashw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const names = ['\uFEFFbom', 'd/é-ü', '日本/名前', 'd/\uFEFFmid'];
  mkdirSync(join(dir, 'l', 'd'), { recursive: true });
  mkdirSync(join(dir, 'l', '日本'));
  names.forEach((n, i) => writeFileSync(join(dir, 'l', n), `content of ${i}`));
  const files: Located[] = names.map((path, i) => ({ entry: file(path, 12, { inode: `utf8:${i}` }), base: 'l' }));
  const hashOf = await contentHasher();
  const log = new WarningLog();
  const threads = new HashWorkers(dir);
  // One job per file, so each path is the first (and only) one of its job's bytes.
  for (const f of files) threads.feed([f]);
  const got = new Map((await threads.finish({ log })).entries());
  t.same(log.list, []);
  for (const f of files) t.equal(got.get(f.entry.id), hashOf(join(dir, 'l', f.entry.path)), JSON.stringify(f.entry.path));
});
