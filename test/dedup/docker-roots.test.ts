// ovl-dedup analyze on real data roots: a legacy `overlay` root and an `overlay2` root built by a
// private dockerd from the same Dockerfiles (test/helpers/docker-roots.ts). Every number is checked
// against find/du/sha256sum ground truth and docker's own system df; analyze must not change a
// single path, inode, ctime or xattr of the root. The roots are built once for this file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import type { LayerReport, Report } from '../../src/dedup/report.js';
import { buildBothRoots, type DockerRoot, type Driver } from '../helpers/docker-roots.js';
import { duplicateTruth, fingerprint, layerDirsOf, truthOf, type Truth } from '../helpers/ground-truth.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const { roots, cleanup } = await buildBothRoots();
t.teardown(cleanup);
const scratch = mkdtempSync(join(tmpdir(), 'ovl-dedup-out-'));
t.teardown(() => rmSync(scratch, { recursive: true, force: true }));

const reports = {} as Record<Driver, Report>;
const fingerprints = {} as Record<Driver, string>;

async function analyze(root: DockerRoot): Promise<Report> {
  const json = join(scratch, `${root.driver}.json`);
  const r = await execa(bin, ['analyze', root.dataRoot, '--json', json], { reject: false, env: { CI: '' } });
  if (r.exitCode !== 0) throw new Error(`analyze ${root.driver} exited ${r.exitCode}: ${r.stderr}`);
  return JSON.parse(readFileSync(json, 'utf8')) as Report;
}

function pick(c: Truth | LayerReport | Report['imageLayers']): Omit<Truth, 'duBytes'> {
  return { entries: c.entries, inodes: c.inodes, regularBytes: c.regularBytes, diskBytes: c.diskBytes, maxLinks: c.maxLinks };
}

for (const driver of ['overlay', 'overlay2'] as const) {
  t.test(`${driver}: analyze is read-only`, async (t) => {
    const root = roots[driver];
    fingerprints[driver] = fingerprint(root.dataRoot);
    reports[driver] = await analyze(root);
    t.equal(fingerprint(root.dataRoot), fingerprints[driver], 'paths, inodes, ctimes, modes and xattrs unchanged');
    t.same(reports[driver].warnings, [], 'a healthy root gives no warnings');
    t.same(reports[driver].stores.map((s) => s.driver), [driver]);
  });

  t.test(`${driver}: image and container layers equal find/du`, async (t) => {
    const r = reports[driver];
    const dirs = layerDirsOf(roots[driver].dataRoot, driver);
    const truth = truthOf([...dirs.image.values()]);
    t.same(pick(r.imageLayers), pick(truth), 'imageLayers = find over all layerdb layers');
    t.equal(r.imageLayers.diskBytes, truth.duBytes, 'diskBytes = du -scB1');
    const ctr = truthOf(dirs.container);
    t.same(pick(r.containerLayers), pick(ctr), 'containerLayers = find over init and RW layers');
    t.equal(r.containerLayers.diskBytes, ctr.duBytes);
    const layers = new Map(r.images.flatMap((i) => i.layers).map((l) => [l.cacheId, l]));
    t.equal(layers.size, dirs.image.size, 'every layerdb layer belongs to a listed image');
    for (const [id, dir] of dirs.image) {
      const l = layers.get(id)!;
      t.same(pick(l), pick(truthOf([dir])), `layer ${id.slice(0, 12)} = find/du of ${driver === 'overlay' ? 'root' : 'diff'}/`);
      t.equal(l.size, dirs.sizes.get(id), 'layer size is layerdb size');
    }
  });

  t.test(`${driver}: image sizes equal docker system df`, async (t) => {
    const r = reports[driver];
    const df = roots[driver].systemDf.Images.filter((i) => (i.RepoTags ?? []).length > 0);
    t.equal(df.length, 4);
    for (const d of df) {
      const tag = d.RepoTags![0]!;
      const img = r.images.find((i) => i.names.includes(tag));
      t.ok(img, `${tag} listed`);
      t.same({ id: img?.id, size: img?.size, shared: img?.sharedSize, unique: img?.uniqueSize },
        { id: d.Id, size: d.Size, shared: d.SharedSize, unique: d.Size - d.SharedSize }, tag);
    }
  });

  t.test(`${driver}: content duplicates equal sha256sum groups`, async (t) => {
    const dirs = layerDirsOf(roots[driver].dataRoot, driver);
    const truth = duplicateTruth([...dirs.image.values(), ...dirs.container]);
    const d = reports[driver].duplicates;
    t.same({ groups: d.groups.length, redundantInodes: d.redundantInodes, redundantBytes: d.redundantBytes }, truth);
    t.ok(truth.groups >= 3, 'the Dockerfiles copy busybox and big.bin, so there are duplicates to find');
  });
}

t.test('legacy and overlay2 roots of the same Dockerfiles agree', async (t) => {
  const legacy = reports.overlay;
  const ov2 = reports.overlay2;
  t.equal(legacy.imageLayers.asMultiLower.entries, ov2.imageLayers.entries, 'legacy as multi-lower = overlay2 entries');
  t.equal(ov2.imageLayers.asChained.entries, legacy.imageLayers.entries, 'overlay2 as chained = legacy entries');
  // The naive diff of the legacy builder loses the one in-layer hard link (`ln a.txt a-hard.txt`),
  // so the legacy layout has exactly one more inode, of one 4 KiB block, in both directions.
  t.equal(legacy.imageLayers.asMultiLower.inodes, ov2.imageLayers.inodes + 1);
  t.equal(legacy.imageLayers.inodes, ov2.imageLayers.asChained.inodes + 1);
  t.equal(legacy.imageLayers.asMultiLower.diskBytes, ov2.imageLayers.diskBytes + 4096);
  t.equal(legacy.imageLayers.diskBytes, ov2.imageLayers.asChained.diskBytes + 4096);
  t.ok(legacy.imageLayers.saved.inodes > 1000, `multi-lower saves inodes (${legacy.imageLayers.saved.inodes})`);
  t.equal(legacy.imageLayers.saved.inodes, ov2.imageLayers.saved.inodes, 'the same saving seen from both sides');
  for (const img of legacy.images) {
    const other = ov2.images.find((i) => i.name === img.name)!;
    t.equal(img.layers.length, other.layers.length, `${img.name}: same depth`);
    img.layers.forEach((l, i) => {
      const o = other.layers[i]!;
      t.equal(l.asMultiLower.entries, o.entries, `${img.name} layer ${i}: diff entries`);
      t.equal(l.entries, o.asChained.entries, `${img.name} layer ${i}: full-tree entries`);
    });
    const w = legacy.waste.images.find((x) => x.image === img.name)!;
    const ow = ov2.waste.images.find((x) => x.image === img.name)!;
    t.same([w.wastedBytes, w.reclaimableBytes, w.metadataOnlyBytes], [ow.wastedBytes, ow.reclaimableBytes, ow.metadataOnlyBytes], `${img.name}: same waste`);
  }
});

t.test('legacy diffs carry exactly the tar content docker recorded', async (t) => {
  const dirs = layerDirsOf(roots.overlay.dataRoot, 'overlay');
  for (const l of reports.overlay.images.flatMap((i) => i.layers)) {
    // layerdb size on the legacy driver = regular bytes of the layer tar, once per inode.
    t.equal(l.asMultiLower.regularBytes, dirs.sizes.get(l.cacheId), `layer ${l.cacheId.slice(0, 12)}`);
  }
});

t.test('waste follows the Dockerfiles', async (t) => {
  for (const driver of ['overlay', 'overlay2'] as const) {
    const app1 = reports[driver].waste.images.find((w) => w.image === 'app:1')!;
    const big = app1.paths.find((p) => p.path === 'data/big.bin')!;
    // written (96 KiB), chmod'ed (a whole new copy of the same content), then deleted
    t.same([big.layers, big.deleted, big.metadataOnly, big.reclaimableBytes], [[1, 2, 3], true, true, 2 * 98304], driver);
    const k = app1.paths.find((p) => p.path === 'data/keep/k')!;
    t.same([k.metadataOnly, k.deleted], [true, false], `${driver}: touch -d is a metadata-only rewrite`);
    t.equal(reports[driver].waste.images.find((w) => w.image === 'base:1')!.wastedBytes, 0);
  }
});
