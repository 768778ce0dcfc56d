import t from 'tap';
import { FAN_ATTRIB, FAN_CREATE, FAN_DELETE, FAN_MODIFY, FAN_MOVED_TO, FAN_ONDIR } from '../sys/fanotify.js';
import { NodeTable } from './node-table.js';
import { type InvalStats, applyChanges } from './watch-inval.js';
import type { ChangeBatch, LayerChange } from './watch.js';
import type { MovedSource } from './watch-redirects.js';

/** A table holding /d, /d/f and /d/sub, and a session that records what it was told. */
function setup(moved?: MovedSource[]) {
  const table = new NodeTable();
  const d = table.lookup(table.root, 'd');
  const f = table.lookup(d, 'f');
  const sub = table.lookup(d, 'sub');
  const told: string[] = [];
  const forgot: (string | null)[] = [];
  const stats: InvalStats = { entries: 0, inodes: 0, fullDrops: 0 };
  const target = {
    table,
    session: {
      invalEntry: (parent: number, name: string) => told.push(`entry ${parent} ${name}`),
      invalInode: (node: number, off = 0, len = 0) => told.push(`inode ${node} ${off} ${len}`),
    },
    forget: (path: string | null) => forgot.push(path),
    ...(moved ? { movedSources: () => (asked++, moved) } : {}),
  };
  let asked = 0;
  const run = (changes: LayerChange[], overflow = false) => {
    told.length = 0;
    forgot.length = 0;
    const batch: ChangeBatch = { changes, overflow, events: changes.length, foreign: changes.length };
    applyChanges(batch, target, stats);
  };
  return { table, d, f, sub, told, forgot, stats, run, asked: () => asked };
}

t.test('a new name in a held dir: the name and the dir listing are dropped, the core forgets the path', async (t) => {
  const s = setup();
  s.run([{ layer: 1, dir: '/d', name: 'new', mask: FAN_CREATE }]);
  t.same(s.told, [`entry ${s.d.id} new`, `inode ${s.d.id} 0 -1`]);
  t.same(s.forgot, ['/d/new']);
});

t.test('deleting or replacing a held name also drops its inode', async (t) => {
  const s = setup();
  s.run([
    { layer: 1, dir: '/d', name: 'f', mask: FAN_DELETE },
    { layer: 1, dir: '/d', name: 'f', mask: FAN_MOVED_TO },
  ]);
  t.same(s.told, [`entry ${s.d.id} f`, `inode ${s.d.id} 0 -1`, `inode ${s.f.id} 0 -1`], 'each told once per batch');
});

t.test('data changes drop attributes and pages; attribute changes drop attributes and the name', async (t) => {
  const s = setup();
  s.run([{ layer: 0, dir: '/d', name: 'f', mask: FAN_MODIFY }]);
  t.same(s.told, [`inode ${s.f.id} 0 -1`]);
  s.run([{ layer: 0, dir: '/d', name: 'f', mask: FAN_ATTRIB }]);
  t.same(s.told, [`inode ${s.f.id} -1 0`, `entry ${s.d.id} f`]);
  s.run([
    { layer: 0, dir: '/d', name: 'f', mask: FAN_ATTRIB },
    { layer: 0, dir: '/d', name: 'f', mask: FAN_MODIFY },
  ]);
  t.same(s.told, [`inode ${s.f.id} -1 0`, `entry ${s.d.id} f`, `inode ${s.f.id} 0 -1`], 'data after attributes still goes');
});

t.test('a change to a dir itself (an opaque marker) drops the names held below it', async (t) => {
  const s = setup();
  s.run([{ layer: 1, dir: '/d', name: null, mask: FAN_ATTRIB | FAN_ONDIR }]);
  t.same(s.told, [`inode ${s.d.id} 0 -1`, `entry ${s.d.id} f`, `entry ${s.d.id} sub`]);
  t.same(s.forgot, ['/d']);
});

t.test('changes under names the kernel never looked up tell it nothing', async (t) => {
  const s = setup();
  s.run([
    { layer: 1, dir: '/x/y', name: 'z', mask: FAN_CREATE },
    { layer: 1, dir: '/d', name: 'unknown', mask: FAN_MODIFY },
    { layer: 1, dir: '/x', name: null, mask: FAN_ATTRIB | FAN_ONDIR },
  ]);
  t.same(s.told, []);
  t.same(s.forgot, ['/x/y/z', '/d/unknown', '/x'], 'the core still forgets (it may cache what the kernel does not)');
});

t.test('lost events: every held node is dropped and the core forgets everything', async (t) => {
  const s = setup();
  s.run([], true);
  t.same(s.forgot, [null]);
  t.ok(s.told.includes(`entry ${s.d.id} sub`) && s.told.includes(`entry 1 d`) && s.told.includes('inode 1 0 -1'));
  t.equal(s.stats.fullDrops, 1);
});

t.test('redirects: a change under the source of a held dir in a lower is told under the merged name', async (t) => {
  // Merged /d takes its lower part from the lower's /a (an upper /d with redirect "/a").
  const s = setup([{ layer: 1, dir: '/a', merged: '/d' }, { layer: 1, dir: '/a/sub', merged: '/d/sub' }]);
  s.run([{ layer: 1, dir: '/a', name: 'f', mask: FAN_MODIFY }]);
  t.same(s.told, [`inode ${s.f.id} 0 -1`]);
  t.same(s.forgot, ['/a/f', '/d/f'], 'the core forgets both names');
  s.run([
    { layer: 1, dir: '/a/sub', name: 'n', mask: FAN_CREATE },
    { layer: 1, dir: '/a', name: null, mask: FAN_ATTRIB | FAN_ONDIR },
  ]);
  t.same(s.told, [`entry ${s.sub.id} n`, `inode ${s.sub.id} 0 -1`, `inode ${s.d.id} 0 -1`, `entry ${s.d.id} f`, `entry ${s.d.id} sub`]);
  t.equal(s.asked(), 2, 'the sources are asked once per batch');
  s.run([{ layer: 0, dir: '/a', name: 'f', mask: FAN_MODIFY }, { layer: 2, dir: '/a', name: 'f', mask: FAN_MODIFY }]);
  t.same(s.told, [], 'not in the top layer, nor in another lower');
  t.equal(s.asked(), 3, 'not asked for a top-layer change alone');
});
