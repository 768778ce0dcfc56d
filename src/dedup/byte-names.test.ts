// ovl-dedup over layers with names that are not UTF-8 (src/format/byte-names.ts): the scan on
// either thread and the hashing on either thread find, name and read every such file (a review:
// the hash threads got their paths through UTF-8 and could read none of them; the scan threads
// read link texts as UTF-8 and dropped such a symlink with a warning).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { file } from '../../test/helpers/entries.js';
import { decodeName, nameBytes } from '../format/byte-names.js';
import { mkdirSync, symlinkSync, writeFileSync } from '../sys/fs-bytes.js';
import { hashInodes } from './hash-workers.js';
import { WarningLog } from './read-meta.js';
import { scanLayer } from './scan.js';
import { decodeScan, walkToWire } from './scan-wire.js';

const b = (latin1: string) => decodeName(Buffer.from(latin1, 'latin1'));
const hex = (s: string) => nameBytes(s).toString('hex');

function layerDir(t: { teardown(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), 'ovl-dedup-bytes-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const d = join(root, 'diff');
  mkdirSync(d);
  writeFileSync(join(d, b('a\xe9')), 'same');
  writeFileSync(join(d, b('a\xe8')), 'same');
  writeFileSync(join(d, 'plain'), 'same');
  mkdirSync(join(d, b('d\xfe')));
  writeFileSync(join(d, b('d\xfe'), 'f'), 'other');
  symlinkSync(b('t\xff'), join(d, b('s\xe9')));
  return root;
}

t.test('the scan, on this thread and as a scan thread sends it, names every entry and link text by its bytes', async (t) => {
  const root = layerDir(t);
  const log = new WarningLog();
  const direct = scanLayer(join(root, 'diff'), { log })!;
  const wire = walkToWire(join(root, 'diff'), { log, fileXattrs: true })!;
  const sent = decodeScan(structuredClone(wire, { transfer: [wire.rows.buffer, wire.sorted.buffer] }));
  t.same(log.list, [], 'no warnings');
  for (const s of [direct, sent]) {
    t.same(s.entries.map((e) => hex(e.path)).sort(), ['a\xe8', 'a\xe9', 'd\xfe', 'd\xfe/f', 'plain', 's\xe9'].map((n) => hex(b(n))).sort());
    t.equal(hex(s.entries.find((e) => e.type === 'symlink')!.target), hex(b('t\xff')), 'the link text');
  }
});

t.test('hashing, on threads and on this one, reads every such file', async (t) => {
  const root = layerDir(t);
  const names = [b('a\xe9'), b('a\xe8'), 'plain'];
  const files = names.map((n, i) => ({ entry: file(n, 4, { inode: `diff:${i}` }), base: 'diff' }));
  for (const worker of [true, false]) {
    const log = new WarningLog();
    const got = await hashInodes(root, files, { log, worker });
    t.same(log.list, [], `worker ${worker}: no file unreadable`);
    t.equal(got.entries().length, 3, `worker ${worker}: three hashed`);
    t.equal(new Set(got.entries().map(([, h]) => String(h))).size, 1, `worker ${worker}: one content`);
  }
});
