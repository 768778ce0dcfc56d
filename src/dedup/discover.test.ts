import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { writeFakeRoot, type FakeLayer } from './fake-root.js';
import { discover } from './discover.js';

const tmp = (t: { teardown(fn: () => void): void }) => {
  const d = mkdtempSync(join(tmpdir(), 'ovl-dedup-discover-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
};
const layer = (id: string): FakeLayer => ({ id: id.padEnd(64, '0'), build: (dir) => writeFileSync(join(dir, id), id) });

t.test('images resolve to ordered chains; intermediates are not listed', async (t) => {
  const root = tmp(t);
  const [a, b, c] = [layer('a'), layer('b'), layer('c')];
  writeFakeRoot(root, 'overlay2', [
    { tags: [], layers: [a, b], parentOf: 'app:1' },
    { tags: ['app:1', 'app:latest'], layers: [a, b, c] },
    { tags: ['base:1'], layers: [a] },
  ]);
  mkdirSync(join(root, 'overlay2', 'stray'));
  const d = discover(root);
  t.same(d.warnings, []);
  t.equal(d.stores.length, 1);
  const s = d.stores[0]!;
  t.same(s.images.map((i) => [i.names, i.layers.map((l) => l[0])]), [[['app:1', 'app:latest'], ['a', 'b', 'c']], [['base:1'], ['a']]]);
  t.same(s.orphans, [join(root, 'overlay2', 'stray')]);
  t.equal(s.layers.get(c.id)!.parent, b.id);
  t.equal(s.layers.get(c.id)!.dir, join(root, 'overlay2', c.id, 'diff'));
});

t.test('broken metadata becomes warnings with paths; the rest is still analysed', async (t) => {
  const root = tmp(t);
  const [a, b] = [layer('a'), layer('b')];
  writeFakeRoot(root, 'overlay', [{ tags: ['x:1'], layers: [a, b] }, { tags: ['y:1'], layers: [layer('e')] }]);
  const img = join(root, 'image', 'overlay');
  writeFileSync(join(img, 'imagedb', 'content', 'sha256', 'f'.repeat(64)), '{"rootfs": {"diff_ids": ["sha256:');
  rmSync(join(root, 'overlay', layer('e').id), { recursive: true });
  mkdirSync(join(img, 'layerdb', 'sha256', `${'e'.repeat(64)}-abc-removing`));
  const d = discover(root);
  const reasons = d.warnings.map((w) => `${w.path.replace(root, '')}: ${w.reason.replace(/\(.*\)/, '()')}`);
  t.match(reasons.join('\n'), /imagedb\/content\/sha256\/f{64}: invalid JSON \(\)/);
  t.match(reasons.join('\n'), /overlay\/e0+\/root: layer sha256:[0-9a-f]{64} has no driver dir \(\)/);
  t.equal(d.warnings.length, 2, 'a half-deleted layer is not a warning');
  t.same(d.stores[0]!.images.map((i) => i.names[0]), ['x:1', 'y:1']);
});

t.test('a legacy container moved into overlay2 by migrate --in-place is not a legacy one with missing layers', async (t) => {
  const root = tmp(t);
  writeFakeRoot(root, 'overlay', [{ tags: ['x:1'], layers: [layer('a')] }]);
  const mounts = join(root, 'image', 'overlay', 'layerdb', 'mounts');
  const container = (cid: string, rw: string) => {
    mkdirSync(join(mounts, cid), { recursive: true });
    writeFileSync(join(mounts, cid, 'mount-id'), rw);
    writeFileSync(join(mounts, cid, 'init-id'), `${rw}-init`);
  };
  // Moved: its upper and init layer are overlay2 diffs now, nothing is left under overlay/.
  container('c'.repeat(64), '1'.repeat(64));
  for (const id of ['1'.repeat(64), `${'1'.repeat(64)}-init`]) mkdirSync(join(root, 'overlay2', id, 'diff'), { recursive: true });
  // Not moved, just missing: still a warning.
  container('d'.repeat(64), '2'.repeat(64));
  const d = discover(root, { skipMovedContainers: true });
  const legacy = d.stores.find((s) => s.driver === 'overlay')!;
  t.same(legacy.containers.map((c) => c.rwLayer), ['2'.repeat(64)]);
  t.same(d.warnings.map((w) => w.path.replace(root, '')), [`/overlay/${'2'.repeat(64)}-init/upper`, `/overlay/${'2'.repeat(64)}/upper`]);
  // migrate compares the stores' containers: without the option the moved one is still there.
  const all = discover(root).stores.find((s) => s.driver === 'overlay')!;
  t.same(all.containers.map((c) => c.rwLayer).sort(), ['1'.repeat(64), '2'.repeat(64)]);
});

t.test('dangling overlay2 short links, parent loops and missing layers are reported', async (t) => {
  const root = tmp(t);
  const [a, b] = [layer('a'), layer('b')];
  writeFakeRoot(root, 'overlay2', [{ tags: ['x:1'], layers: [a, b] }]);
  symlinkSync('../gone/diff', join(root, 'overlay2', 'l', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
  const db = join(root, 'image', 'overlay2', 'layerdb', 'sha256');
  const [first, second] = readdirSync(db).map((h) => [h, readFileSync(join(db, h, 'cache-id'), 'utf8')] as const)
    .sort((x, y) => x[1].localeCompare(y[1]));
  // a corrupt layerdb where the base layer claims the top layer as its parent
  writeFileSync(join(db, first![0], 'parent'), `sha256:${second![0]}`);
  const d = discover(root);
  const text = d.warnings.map((w) => `${w.path}: ${w.reason}`).join('\n');
  t.match(text, /l\/ABCDEFGHIJKLMNOPQRSTUVWXYZ: dangling short link to \.\.\/gone\/diff/);
  t.match(text, /layer parent loop through/);
});

t.test('a containers-storage root', async (t) => {
  const root = tmp(t);
  for (const d of ['overlay/L1/diff', 'overlay/L2/diff', 'overlay/C1/diff', 'overlay-layers', 'overlay-images', 'overlay-containers']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  writeFileSync(join(root, 'overlay-layers', 'layers.json'), JSON.stringify([
    { id: 'L1', 'diff-digest': 'sha256:1', 'diff-size': 10 },
    { id: 'L2', parent: 'L1', 'diff-size': 20 },
    { id: 'C1', parent: 'L2' },
  ]));
  writeFileSync(join(root, 'overlay-images', 'images.json'), JSON.stringify([{ id: 'I1', names: ['localhost/app:1'], layer: 'L2' }]));
  writeFileSync(join(root, 'overlay-containers', 'containers.json'), JSON.stringify([{ id: 'K1', image: 'I1', layer: 'C1' }]));
  writeFileSync(join(root, 'overlay-containers', 'bad.json'), '');
  const d = discover(root);
  t.same(d.warnings, []);
  const s = d.stores[0]!;
  t.equal(s.driver, 'containers-storage');
  t.same(s.images, [{ names: ['localhost/app:1'], id: 'I1', layers: ['L1', 'L2'] }]);
  t.same(s.containers.map((c) => [c.rwLayer, c.imageTop]), [['C1', 'L2']]);
  t.equal(s.layers.get('C1')!.role, 'container');
  t.equal(s.layers.get('L2')!.size, 20);
});

t.test('a containers-storage layer id that is a path is a warning, never read', async (t) => {
  const root = tmp(t);
  for (const d of ['overlay/L1/diff', 'overlay-layers', 'overlay-images', 'escape/diff']) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'escape', 'diff', 'secret'), 's');
  writeFileSync(join(root, 'overlay-layers', 'layers.json'), JSON.stringify([{ id: 'L1' }, { id: '../escape', parent: 'L1' }, { id: '..' }]));
  writeFileSync(join(root, 'overlay-images', 'images.json'), JSON.stringify([{ id: 'I1', names: ['x:1'], layer: '../escape' }]));
  const d = discover(root);
  const s = d.stores[0]!;
  t.same([...s.layers.keys()], ['L1'], 'only the plain id is a layer');
  t.match(d.warnings.map((w) => w.reason).join('\n'), /not a layer id: "\.\.\/escape"/);
  t.match(d.warnings.map((w) => w.reason).join('\n'), /not a layer id: "\.\."/);
});

t.test('a path that is not a data root', async (t) => {
  const d = discover(join(tmp(t), 'missing'));
  t.same(d.stores, []);
  t.match(d.warnings[0]!.reason, 'not a directory');
});

t.test('layer ids that are not what moby writes are warnings, never paths outside the driver dir', async (t) => {
  const root = tmp(t);
  const [a, b] = [layer('a'), layer('b')];
  writeFakeRoot(root, 'overlay', [{ tags: ['x:1'], layers: [a, b] }]);
  const db = join(root, 'image', 'overlay', 'layerdb');
  const top = readdirSync(join(db, 'sha256')).find((h) => readFileSync(join(db, 'sha256', h, 'cache-id'), 'utf8') === b.id)!;
  writeFileSync(join(db, 'sha256', top, 'cache-id'), '../../../escape');
  mkdirSync(join(root, 'escape', 'root'), { recursive: true });
  const container = (cid: string, rw: string, init: string) => {
    mkdirSync(join(db, 'mounts', cid), { recursive: true });
    writeFileSync(join(db, 'mounts', cid, 'mount-id'), rw);
    writeFileSync(join(db, 'mounts', cid, 'init-id'), init);
  };
  container('c'.repeat(64), '../x', `${'1'.repeat(64)}-init`);
  container('d'.repeat(64), '2'.repeat(64), '..');
  const d = discover(root);
  const text = d.warnings.map((w) => `${w.path.replace(root, '')}: ${w.reason}`).join('\n');
  t.match(text, `/sha256/${top}/cache-id: not a layer id: "../../../escape" (expected 64 hex digits, optionally -init)`);
  t.match(text, `/mounts/${'c'.repeat(64)}/mount-id: not a layer id: "../x"`);
  t.match(text, `/mounts/${'d'.repeat(64)}/init-id: not a layer id: ".."`);
  t.match(text, /image sha256:[0-9a-f]{64} needs missing layer/, 'the image with that layer is incomplete');
  const s = d.stores[0]!;
  t.same([...s.layers.keys()], [a.id], 'only the valid layer; the containers with bad ids are left out');
  t.same(s.containers, []);
});

t.test('an image config that is valid JSON but not an object is a warning', async (t) => {
  const root = tmp(t);
  writeFakeRoot(root, 'overlay2', [{ tags: ['x:1'], layers: [layer('a')] }]);
  const content = join(root, 'image', 'overlay2', 'imagedb', 'content', 'sha256');
  for (const [hex, json] of [['1', 'null'], ['2', '[]'], ['3', '42']] as const) writeFileSync(join(content, hex.repeat(64)), json);
  const d = discover(root);
  t.same(d.warnings.map((w) => `${w.path.replace(content, '')}: ${w.reason}`), ['1', '2', '3'].map((h) => `/${h.repeat(64)}: image config is not a JSON object`));
});

t.test('a repositories.json of another shape is a warning, not every image silently nameless', async (t) => {
  const root = tmp(t);
  writeFakeRoot(root, 'overlay2', [{ tags: ['x:1'], layers: [layer('a')] }]);
  const repos = join(root, 'image', 'overlay2', 'repositories.json');
  const good = JSON.parse(readFileSync(repos, 'utf8')) as { Repositories: Record<string, unknown> };
  for (const [json, why] of [
    ['null', /Repositories is not a JSON object/],
    ['{"Repositories": "x"}', /Repositories is not a JSON object/],
    [JSON.stringify({ Repositories: { ...good.Repositories, bad: 'abc' } }), /repository "bad" is not a JSON object/],
  ] as const) {
    writeFileSync(repos, json);
    const d = discover(root);
    t.match(d.warnings.map((w) => `${w.path}: ${w.reason}`).join('\n'), why, json);
  }
  writeFileSync(repos, JSON.stringify({ Repositories: { ...good.Repositories, bad: 'abc' } }));
  t.same(discover(root).stores[0]!.images.map((i) => i.names), [['x:1']], 'the good repository still names its image');
});

t.test('an overlay2 short link with an absolute target that resolves is fine', async (t) => {
  const root = tmp(t);
  const a = layer('a');
  writeFakeRoot(root, 'overlay2', [{ tags: ['x:1'], layers: [a] }]);
  symlinkSync(join(root, 'overlay2', a.id, 'diff'), join(root, 'overlay2', 'l', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
  t.same(discover(root).warnings, []);
});
