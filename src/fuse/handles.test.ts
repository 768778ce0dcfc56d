// The handle table's indexes against a walk of every handle (what each lookup did before the
// indexes): random opens, releases, renames of files and dirs (exchange's parking name included),
// new names and copy-ups never make an index answer other than the walk.
import t from 'tap';
import fc from 'fast-check';
import { closeSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Handle, HandleTable } from './handles.js';

const PATHS = ['/a', '/a/b', '/a/b/c', '/a/c', '/b', '/b/a', '/ab', '\0exchange', '\0exchange/b'];
const path = fc.constantFrom(...PATHS);
const key = fc.constantFrom('1:10', '1:11', null);

type Op =
  | { op: 'add'; path: string; lowerKey: string | null; exec: boolean; writable: boolean; nodeid: number | null }
  | { op: 'remove'; pick: number }
  | { op: 'node'; pick: number; nodeid: number }
  | { op: 'setPath'; pick: number; path: string }
  | { op: 'move'; src: string; dest: string; isDir: boolean }
  | { op: 'copyUp'; lowerKey: string; name: string | null };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('add' as const), path, lowerKey: key, exec: fc.boolean(), writable: fc.boolean(), nodeid: fc.option(fc.nat(3)) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('node' as const), pick: fc.nat(20), nodeid: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setPath' as const), pick: fc.nat(20), path }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('move' as const), src: path, dest: path, isDir: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('copyUp' as const), lowerKey: fc.constantFrom('1:10', '1:11'), name: fc.option(path) }) },
);

const sorted = (it: Iterable<number>) => [...it].sort((x, y) => x - y);

t.test('every index answers what a walk of all handles answers', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovlkit-handles-'));
  const upper = join(dir, 'upper');
  writeFileSync(upper, 'copy');
  const opened: number[] = [];
  t.teardown(() => {
    for (const fd of opened) closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const table = new HandleTable();
      const live: number[] = [];
      for (const o of ops) {
        const pickFh = (i: number) => live[i % live.length]!;
        if (o.op === 'add') {
          const h: Handle = { fd: -1, path: o.path, upper: o.lowerKey === null, lowerKey: o.lowerKey, ino: 1n, extraFds: [], exec: o.exec, writable: o.writable, ...(o.nodeid === null ? {} : { nodeid: o.nodeid }) };
          live.push(table.add(h));
        } else if (live.length === 0) {
          continue;
        } else if (o.op === 'remove') {
          const fh = pickFh(o.pick);
          table.remove(fh);
          live.splice(live.indexOf(fh), 1);
        } else if (o.op === 'node') {
          table.setNode(pickFh(o.pick), o.nodeid);
        } else if (o.op === 'setPath') {
          table.setPath(pickFh(o.pick), o.path);
        } else if (o.op === 'move') {
          // What moveHandles did: the name itself and, for a dir, every path below it.
          const want = new Map([...table.entries()].map(([fh, h]) => [fh, h.path === o.src ? o.dest : o.isDir && h.path.startsWith(o.src + '/') ? o.dest + h.path.slice(o.src.length) : h.path]));
          table.movePaths(o.src, o.dest, o.isDir);
          for (const [fh, h] of table.entries()) if (h.path !== want.get(fh)) return false;
        } else {
          const want = [...table.entries()].filter(([, h]) => !h.upper && h.lowerKey === o.lowerKey && (o.name === null || h.path === o.name)).map(([fh]) => fh);
          table.followCopyUp(o.lowerKey, upper, o.name);
          for (const [fh, h] of table.entries()) {
            opened.push(...h.extraFds.splice(0).filter((fd) => fd >= 0));
            if (want.includes(fh)) {
              opened.push(h.fd);
              if (!h.upper) return false;
            }
          }
        }
        const all = [...table.entries()];
        for (const p of PATHS) if (sorted(table.onPath(p)).join() !== sorted(all.filter(([, h]) => h.path === p).map(([fh]) => fh)).join()) return false;
        for (let n = 0; n <= 3; n++) if (sorted(table.onNode(n)).join() !== sorted(all.filter(([, h]) => h.nodeid === n).map(([fh]) => fh)).join()) return false;
        if (sorted(table.executing()).join() !== sorted(all.filter(([, h]) => h.exec).map(([fh]) => fh)).join()) return false;
        if (sorted(table.writing()).join() !== sorted(all.filter(([, h]) => h.writable).map(([fh]) => fh)).join()) return false;
      }
      return true;
    }),
    { numRuns: 400 },
  );
  t.pass('indexes agree with the walk');
  t.end();
});
