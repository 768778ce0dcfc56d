import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import xxhash from 'xxhash-wasm';
import { ReadAt } from '../sys/read-at.js';
import { fileHasher } from './hash.js';

t.test('one hasher per thread: files of one read and of several, bytes counted, unreadable files throw with their code', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovl-dedup-hash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // 2.5 MiB: three reads of the 1 MiB buffer, hashed by the streaming state.
  const big = Buffer.alloc(5 << 19, 0);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  const small = Buffer.from('a small file');
  writeFileSync(join(dir, 'big'), big);
  writeFileSync(join(dir, 'small'), small);
  const api = await xxhash();
  const reads = new ReadAt();
  t.teardown(() => reads.release());
  const hasher = fileHasher(api, reads);
  const xxh = (b: Buffer): bigint => api.h64Raw(b);
  t.equal(hasher.file(dir, 'big'), xxh(big));
  t.equal(hasher.file(dir, 'small'), xxh(small));
  t.equal(hasher.bytes, big.length + small.length);
  t.throws(() => hasher.file(dir, 'gone'), { code: 'ENOENT' });
  t.equal(hasher.file(dir, 'small'), xxh(small), 'still usable after a failure');
});
