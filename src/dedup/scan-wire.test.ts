import { join } from 'node:path';
import t from 'tap';
import { WarningLog } from './read-meta.js';
import { scanLayer } from './scan.js';
import { faults, layer } from './scan-fixture.js';
import { STAT, STAT_FIELDS } from '../sys/statx.js';
import { decodeScan, inoOf, walkToWire } from './scan-wire.js';
import { ScanWorkers } from './scan-workers.js';
import type { LayerScan } from './types.js';

// Every field of the Entry contract, read through the object (a rebuilt entry makes some when read).
const plain = (s: LayerScan) =>
  [s.top, ...s.entries].map((e) => ({
    path: e.path, type: e.type, perm: e.perm, uid: e.uid, gid: e.gid, size: e.size, blocks: e.blocks, inode: e.inode, id: e.id,
    nlink: e.nlink, mtimeNs: e.mtimeNs, atimeNs: e.atimeNs, rdev: e.rdev, target: e.target, xattrs: e.xattrs.map(([k, v]) => [k, v.toString('hex')]),
  }));

t.test('the wire shape decodes to the entries scanLayer gives, field for field', async (t) => {
  const d = layer(t);
  // readlink sets the symlink's atime once (relatime): read it before comparing atimes.
  scanLayer(d, { log: new WarningLog() });
  for (const fileXattrs of [true, false]) {
    const log = new WarningLog();
    const direct = scanLayer(d, { log, fileXattrs })!;
    const wire = walkToWire(d, { log, fileXattrs })!;
    t.same(log.list, []);
    t.ok(Array.isArray(wire.paths), 'the paths stay a list on the thread that walked');
    // Entries read st_dev, st_ino and the times from their rows when asked: a copy for this
    // decoding, as the clone below moves the rows' buffer away.
    const joined = decodeScan({ ...wire, rows: wire.rows.slice(), paths: (wire.paths as string[]).join('\0') });
    const back = decodeScan(structuredClone(wire, { transfer: [wire.rows.buffer, wire.sorted.buffer] }));
    t.strictSame(plain(back), plain(direct), `fileXattrs ${fileXattrs}`);
    t.strictSame(plain(joined), plain(direct), `fileXattrs ${fileXattrs}, paths joined as a scan thread sends them`);
    t.ok(back.entries.every((e) => Buffer.isBuffer(e.xattrs[0]?.[1] ?? Buffer.alloc(0))), 'xattr values are Buffers again');
    t.equal(back.top.id, direct.top.id);
  }
});

t.test('an inode number past 2^53 comes back whole from its list, not from its row', async (t) => {
  const d = layer(t);
  const wire = walkToWire(d, { log: new WarningLog(), fileXattrs: false })!;
  const paths = wire.paths as string[];
  const at = paths.indexOf('dir');
  const row = wire.rows.subarray(at * STAT_FIELDS, (at + 1) * STAT_FIELDS);
  const big = 2n ** 60n + 7n;
  row[STAT.ino] = -1;
  wire.bigInos.push([at, big]);
  const scan = decodeScan(wire);
  const e = scan.entries.find((x) => x.path === 'dir')!;
  t.equal(e.inode, `${row[STAT.dev]}:${big}`);
  t.equal(inoOf(e), 0, 'past 2^53: no number');
  const other = scan.entries.find((x) => x.path !== 'dir')!;
  t.equal(inoOf(other), Number(other.inode.split(':')[1]), 'the others from their rows');
  t.notOk(scan.entries.some((x) => x !== e && x.inode.endsWith(`:${big}`)));
});

t.test('the same warnings, in the same order, as the scan on this thread', async (t) => {
  const d = layer(t);
  const scan = await t.mockImport<typeof import('./scan.js')>('./scan.js', faults);
  const { walkToWire: mocked } = await t.mockImport<typeof import('./scan-wire.js')>('./scan-wire.js', { ...faults, './scan.js': scan });
  const log = new WarningLog();
  const wire = mocked(d, { log, fileXattrs: false })!;
  t.same(log.list, [
    { path: join(d, 'fifo'), reason: 'cannot stat: EACCES' },
    { path: join(d, 'dir/sub'), reason: 'cannot read directory: EIO' },
  ]);
  t.notOk(decodeScan(wire).entries.some((e) => e.path === 'fifo'));
  t.equal(walkToWire(join(d, 'missing'), { log, fileXattrs: false }), null);
  t.match(log.list[2]!.reason, /cannot scan layer: ENOENT/);
});

t.test('scan threads deliver every layer in order, missing ones as warnings', async (t) => {
  const dirs = [layer(t), '/nonexistent-ovl-dedup-layer', layer(t), layer(t)];
  for (const d of dirs) scanLayer(d, { log: new WarningLog() });
  const threads = new ScanWorkers(2);
  const got: Array<[number, LayerScan | null, number]> = [];
  await threads.scan(dirs, false, (i, scan, warnings) => got.push([i, scan, warnings.length]));
  t.same(got.map(([i]) => i), [0, 1, 2, 3]);
  t.equal(got[1]![1], null);
  t.equal(got[1]![2], 1);
  for (const i of [0, 2, 3]) t.strictSame(plain(got[i]![1]!), plain(scanLayer(dirs[i]!, { log: new WarningLog(), fileXattrs: false })!));
});
