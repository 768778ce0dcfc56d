// The watcher against real fanotify on temp dirs used as layers: changes made by another process
// come out named by layer and path inside it; the process's own changes and everything outside
// the layers (same filesystem) are dropped.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FAN_CREATE, FAN_MODIFY, FAN_MOVED_FROM, FAN_MOVED_TO, FAN_ONDIR } from '../sys/fanotify.js';
import { scratchFilesystems, sh } from '../../test/helpers/scratch.js';
import { type LayerChange, LayerWatcher, layersOf } from './watch.js';

const { root, tmpfs } = scratchFilesystems(t, 'watch');

/** Drain until `pred` holds for the changes seen so far (events arrive at once; this bounds a stuck test). */
function changesUntil(w: LayerWatcher, pred: (cs: LayerChange[]) => boolean): LayerChange[] {
  const seen: LayerChange[] = [];
  for (let i = 0; i < 200 && !pred(seen); i++) {
    seen.push(...w.drain().changes);
    if (!pred(seen)) execFileSync('sleep', ['0.01']);
  }
  return seen;
}

const has = (cs: LayerChange[], layer: number, dir: string, name: string | null, bits: number) =>
  cs.some((c) => c.layer === layer && c.dir === dir && c.name === name && (c.mask & bits) === bits);

t.test('changes in two layers on two filesystems, named by layer and path inside it', async (t) => {
  const upper = mkdtempSync(join(root, 'upper-'));
  const lower = mkdtempSync(join(tmpfs, 'lower-'));
  mkdirSync(join(lower, 'd'));
  const w = LayerWatcher.start([upper, lower]);
  t.teardown(() => w.close());
  sh('echo x > d/f && echo y >> d/f && mkdir d/e && mv d/f d/e/g', lower);
  sh('touch top', upper);
  const cs = changesUntil(w, (cs) => has(cs, 0, '/', 'top', FAN_CREATE) && has(cs, 1, '/d/e', 'g', FAN_MOVED_TO));
  t.ok(has(cs, 1, '/d', 'f', FAN_CREATE | FAN_MODIFY), 'create + modify of d/f in the lower (merged into one event)');
  t.ok(has(cs, 1, '/d', 'e', FAN_CREATE | FAN_ONDIR), 'mkdir d/e');
  t.ok(has(cs, 1, '/d', 'f', FAN_MOVED_FROM), 'rename source');
  t.ok(has(cs, 1, '/d/e', 'g', FAN_MOVED_TO), 'rename target');
  t.ok(has(cs, 0, '/', 'top', FAN_CREATE), 'a new name in the upper root');
});

t.test('the own process and paths outside the layers are dropped; their dirs are cached', async (t) => {
  const layer = mkdtempSync(join(root, 'layer-'));
  const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
  const w = LayerWatcher.start([layer]);
  t.teardown(() => w.close());
  writeFileSync(join(layer, 'mine'), 'by this process');
  sh('for i in 1 2 3 4 5 6 7 8; do echo $i > f$i; done', elsewhere);
  sh('touch theirs', layer);
  const cs = changesUntil(w, (cs) => has(cs, 0, '/', 'theirs', FAN_CREATE));
  t.notOk(cs.some((c) => c.name === 'mine'), "the daemon's own changes are not reported");
  t.ok(cs.every((c) => c.name === 'theirs'), 'nothing from the other dir');
  t.ok(w.cachedDirs >= 2, 'the unrelated dir was resolved once and cached');
});

t.test('a dir moved into a layer is seen at its new path (cached paths are dropped on dir moves)', async (t) => {
  const layer = mkdtempSync(join(root, 'layer-'));
  const outside = mkdtempSync(join(root, 'outside-'));
  mkdirSync(join(outside, 'm'));
  const w = LayerWatcher.start([layer]);
  t.teardown(() => w.close());
  sh('touch m/before', outside);
  t.same(changesUntil(w, () => false).length, 0, 'outside: nothing');
  sh(`mv ${outside}/m ${layer}/m && touch ${layer}/m/after`, root);
  const cs = changesUntil(w, (cs) => has(cs, 0, '/m', 'after', FAN_CREATE));
  t.ok(has(cs, 0, '/', 'm', FAN_MOVED_TO | FAN_ONDIR));
  t.ok(has(cs, 0, '/m', 'after', FAN_CREATE));
});

t.test('a layer given through a symlink is matched by its real path', async (t) => {
  const layer = mkdtempSync(join(root, 'real-'));
  const link = join(root, 'link-' + Date.now());
  symlinkSync(layer, link);
  const w = LayerWatcher.start([link]);
  t.teardown(() => w.close());
  sh('touch x', layer);
  t.ok(has(changesUntil(w, (cs) => cs.length > 0), 0, '/', 'x', FAN_CREATE));
});

t.test('start fails with a typed error for a missing layer, and leaks no fd', async (t) => {
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  t.throws(() => LayerWatcher.start([root, join(root, 'missing')]), { code: 'ENOENT' });
  t.equal(fds(), before);
});

t.test('more events than the queue holds (16384) come out as an overflow', async (t) => {
  const layer = mkdtempSync(join(root, 'flood-'));
  const w = LayerWatcher.start([layer]);
  t.teardown(() => w.close());
  // 2 × 9000 distinct names: nothing merges, and nobody drains meanwhile.
  sh('seq 1 9000 | sed s/^/f/ | xargs touch && seq 1 9000 | sed s/^/f/ | xargs rm', layer);
  let overflow = false;
  for (let b = w.drain(); b.events > 0 && !overflow; b = w.drain()) overflow = b.overflow;
  t.ok(overflow, 'the kernel said events were lost');
});

t.test('layersOf: a path inside, at and beside layer roots', async (t) => {
  const layers = [
    { index: 0, root: '/u' },
    { index: 1, root: '/l' },
    { index: 2, root: '/l/nested' },
  ];
  t.same(layersOf('/u', layers), [{ layer: 0, dir: '/' }]);
  t.same(layersOf('/u/a/b', layers), [{ layer: 0, dir: '/a/b' }]);
  t.same(layersOf('/ux/a', layers), []);
  t.same(layersOf('/l/nested/x', layers), [
    { layer: 1, dir: '/nested/x' },
    { layer: 2, dir: '/x' },
  ]);
});

// A review: a path longer than PATH_MAX anywhere on a layer's filesystem threw out of drain()
// (the readlink of its dir's fd), and the mount dropped every cache for it. Outside the layers it
// is now placed by walking up from it and dropped; inside one, where no merged path can be made of
// it, it counts as lost events.
t.test('dirs whose path is longer than PATH_MAX: outside the layers dropped, inside one taken as lost events', async (t) => {
  const layer = mkdtempSync(join(root, 'layer-'));
  const elsewhere = mkdtempSync(join(root, 'elsewhere-'));
  t.teardown(() => execFileSync('rm', ['-rf', layer, elsewhere]));
  const w = LayerWatcher.start([layer]);
  t.teardown(() => w.close());
  // 20 levels of 250-byte names, made by a child going down one level at a time.
  const deep = `const fs=require('fs');process.chdir(process.argv[1]);for(let i=0;i<20;i++){fs.mkdirSync('d'.repeat(250));process.chdir('d'.repeat(250));}fs.writeFileSync(process.argv[2],'x')`;
  execFileSync(process.execPath, ['-e', deep, elsewhere, 'outside']);
  sh('touch marker', layer);
  let overflow = false;
  const cs: LayerChange[] = [];
  for (let i = 0; i < 200 && !has(cs, 0, '/', 'marker', FAN_CREATE); i++) {
    const batch = w.drain();
    overflow ||= batch.overflow;
    cs.push(...batch.changes);
    execFileSync('sleep', ['0.01']);
  }
  t.ok(has(cs, 0, '/', 'marker', FAN_CREATE), 'the change after them in the layer');
  t.notOk(cs.some((c) => c.name === 'outside'), 'nothing from the deep dir elsewhere');
  t.notOk(overflow, 'not taken as lost events');
  execFileSync(process.execPath, ['-e', deep, layer, 'inside']);
  for (let i = 0; i < 200 && !overflow; i++) {
    overflow = w.drain().overflow;
    if (!overflow) execFileSync('sleep', ['0.01']);
  }
  t.ok(overflow, 'a change deep inside the layer: lost events (every cache dropped)');
});
