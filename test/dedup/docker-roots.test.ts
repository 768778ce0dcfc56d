// ovl-dedup analyze on real data roots: a legacy `overlay` root and an `overlay2` root built by a
// private dockerd from the same Dockerfiles (test/helpers/docker-roots.ts). Every number is checked
// against find/du/sha256sum ground truth and docker's own system df; analyze must not change a
// single path, inode, ctime or xattr of the root. The roots are built once for this file.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import t from 'tap';
import { legacyDiff } from '../../src/dedup/diff-legacy.js';
import { runAnalysis } from '../../src/dedup/pipeline.js';
import type { Report } from '../../src/dedup/report.js';
import { buildBothRoots, type DockerRoot, type Driver } from '../helpers/docker-roots.js';
import { breakdownOf, duplicateTruth, fingerprint, htreeDirs, layerDirsOf, truthOf, type Truth } from '../helpers/ground-truth.js';

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

function pick(c: Omit<Truth, 'duBytes'>): Omit<Truth, 'duBytes'> {
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

  t.test(`${driver}: analyze, convert and a dry-run migrate leave every atime as it was`, async (t) => {
    const root = roots[driver].dataRoot;
    // Listed first (find reads every dir), then every atime set back to 2020 without reading
    // anything: under relatime the next read of any of them stamps it. Symlinks keep theirs
    // (readlink stamps some filesystems' links; a layer's are read as such).
    const list = execFileSync('find', [root, '!', '-type', 'l', '-print0']);
    execFileSync('xargs', ['-0', 'touch', '-a', '-h', '-d', '2020-01-01 00:00:00 UTC'], { input: list });
    await analyze(roots[driver]);
    if (driver === 'overlay') {
      for (const args of [['convert', root, '--out', join(scratch, 'atime-convert')], ['migrate', root, '--out', join(scratch, 'atime-migrate'), '--dry-run']]) {
        const r = await execa(bin, args, { reject: false, env: { CI: '' } });
        t.equal(r.exitCode, 0, `${args[0]}: ${r.stderr}`);
      }
    }
    const atimes = execFileSync('xargs', ['-0', 'stat', '-c', '%X %n'], { input: list }).toString().split('\n');
    t.same(atimes.filter((l) => l !== '' && !l.startsWith('1577836800 ')), [], 'no atime changed (a review found 48 metadata files and dirs stamped)');
  });

  t.test(`${driver}: image and container layers equal find/du`, async (t) => {
    const r = reports[driver];
    const dirs = layerDirsOf(roots[driver].dataRoot, driver);
    const truth = truthOf([...dirs.image.values()]);
    t.same(pick(r.imageLayers), pick(truth), 'imageLayers = find over all layerdb layers');
    t.same(r.imageLayers.breakdown, breakdownOf([...dirs.image.values()]), 'inodes by type, hard-linked names, dir blocks = find');
    t.same(r.containerLayers.breakdown, breakdownOf(dirs.container));
    t.equal(r.imageLayers.diskBytes, truth.duBytes, 'diskBytes = du -scB1');
    const ctr = truthOf(dirs.container);
    t.same(pick(r.containerLayers), pick(ctr), 'containerLayers = find over init and RW layers');
    t.equal(r.containerLayers.diskBytes, ctr.duBytes);
    const layers = new Map(r.images.flatMap((i) => i.layers).map((l) => [l.cacheId, l]));
    t.equal(layers.size, dirs.image.size, 'every layerdb layer belongs to a listed image');
    for (const [id, dir] of dirs.image) {
      const l = layers.get(id)!;
      t.same(pick(l), pick(truthOf([dir])), `layer ${id.slice(0, 12)} = find/du of ${driver === 'overlay' ? 'root' : 'diff'}/`);
      t.same(l.breakdown, breakdownOf([dir]));
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

for (const driver of ['overlay', 'overlay2'] as const) {
  t.test(`${driver}: the human output reconciles with find | wc -l, du --si -s and a hand count of duplicates`, async (t) => {
    const root = roots[driver].dataRoot;
    const r = await execa(bin, ['analyze', root], { reject: false, env: { CI: '', COLUMNS: '200' } });
    t.equal(r.exitCode, 0, r.stderr);
    const names = Number((await execa('sh', ['-c', `find '${root}' | wc -l`])).stdout.trim());
    const du = Number((await execa('du', ['-s', '-x', '-B1', root])).stdout.split('\t')[0]);
    const row = /^whole data root\s+([\d,]+)\s+[\d,]+\s+([\d.]+) (B|kB|MB|GB)$/m.exec(r.stdout);
    t.ok(row, 'a whole-root row');
    t.equal(Number(row![1]!.replaceAll(',', '')), names, 'names = find DATA_ROOT | wc -l');
    const scale = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[row![3] as 'B'];
    t.ok(Math.abs(Number(row![2]) * scale - du) <= 0.05 * scale, `disk ${row![2]} ${row![3]} = du -s -B1 ${du} to the printed digit`);
    // du --si rounds up to 2 significant digits ("8.1M"): ours, rounded the same way, says the same.
    const si = (await execa('du', ['--si', '-s', '-x', root])).stdout.split('\t')[0]!;
    const duSi = Number(si.slice(0, -1)) * { k: 1e3, M: 1e6, G: 1e9 }[si.slice(-1) as 'k'];
    t.ok(du <= duSi && duSi - du < duSi * 0.1, `du --si -s says ${si}`);
    const dirs = layerDirsOf(root, driver);
    const hand = duplicateTruth([...dirs.image.values(), ...dirs.container]);
    t.match(r.stdout, new RegExp(`^Duplicates: ${hand.groups} groups of identical files; ${hand.redundantInodes} redundant copies`, 'm'),
      'the duplicates line counts what sha256sum over every layer file counts');
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
  // Disk agrees to the same block, except that every directory past one block (an htree) may
  // differ by a leaf block: the two drivers insert the same names in different orders.
  const slack = 4096 * htreeDirs([...layerDirsOf(roots.overlay.dataRoot, 'overlay').image.values()]);
  t.ok(slack > 0 && slack < legacy.imageLayers.saved.bytes, `htree slack ${slack}`);
  t.ok(Math.abs(legacy.imageLayers.asMultiLower.diskBytes - (ov2.imageLayers.diskBytes + 4096)) <= slack, 'legacy as diffs = overlay2 disk');
  t.ok(Math.abs(legacy.imageLayers.diskBytes - (ov2.imageLayers.asChained.diskBytes + 4096)) <= slack, 'overlay2 as chained = legacy disk');
  t.ok(legacy.imageLayers.saved.inodes > 1000, `multi-lower saves inodes (${legacy.imageLayers.saved.inodes})`);
  t.equal(legacy.imageLayers.saved.inodes, ov2.imageLayers.saved.inodes, 'the same saving seen from both sides');
  for (const img of legacy.images) {
    const other = ov2.images.find((i) => i.name === img.name)!;
    t.equal(img.layers.length, other.layers.length, `${img.name}: same depth`);
    img.layers.forEach((l, i) => {
      const o = other.layers[i]!;
      t.equal(l.asMultiLower.entries, o.entries, `${img.name} layer ${i}: diff entries`);
      t.equal(l.saved.inodes, l.inodes - l.asMultiLower.inodes, `${img.name} layer ${i}: saved per layer`);
      t.equal(l.entries, o.asChained.entries, `${img.name} layer ${i}: full-tree entries`);
    });
    const w = legacy.waste.images.find((x) => x.image === img.name)!;
    const ow = ov2.waste.images.find((x) => x.image === img.name)!;
    // The one inode the drivers lay out differently: legacy's naive diff made /data/a-hard.txt its own
    // inode, so a.txt's copy ("hello\nmodified\n") is hidden once chown copies a.txt again; in overlay2
    // a-hard.txt is that copy's other name and still shows it: not waste there (a copy still shown frees nothing).
    const gap = img.name === 'app:2' ? 15 : 0;
    t.same([w.wastedBytes - gap, w.reclaimableBytes - gap, w.metadataOnlyBytes], [ow.wastedBytes, ow.reclaimableBytes, ow.metadataOnlyBytes], `${img.name}: same waste`);
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

interface ConvertJson {
  result: { out: string; written: string[]; reused: string[]; images: Array<{ name: string; lowers: string[]; lowerdir: string }>;
    estimate: Omit<Truth, 'duBytes'>; measured: Omit<Truth, 'duBytes'>; legacy: Omit<Truth, 'duBytes'>; saved: { inodes: number; bytes: number } };
  verified: Array<{ image: string; identical: boolean; compared: number; differences: Array<{ path: string; what: string }> }>;
}

async function convert(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string; json: ConvertJson | null }> {
  const json = join(scratch, `convert-${Math.random().toString(36).slice(2)}.json`);
  const r = await execa(bin, ['convert', roots.overlay.dataRoot, '--json', json, ...args], { reject: false, env: { CI: '' } });
  let parsed: ConvertJson | null = null;
  try {
    parsed = JSON.parse(readFileSync(json, 'utf8')) as ConvertJson;
  } catch {
    // no JSON: the command failed before converting
  }
  return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json: parsed };
}

t.test('convert --verify: every stack identical, estimate = what is written = find/du', async (t) => {
  const out = join(scratch, 'converted');
  const before = fingerprint(roots.overlay.dataRoot);
  const r = await convert(['--out', out, '--verify']);
  t.equal(r.exitCode, 0, r.stderr);
  const res = r.json!;
  t.equal(fingerprint(roots.overlay.dataRoot), before, 'the data root is untouched');
  t.equal(res.verified.length, 4);
  for (const v of res.verified) t.same([v.image, v.identical, v.differences], [v.image, true, []], `${v.image} identical`);
  t.ok(res.verified.every((v) => v.compared > 250), 'whole trees were compared');
  const { diskBytes: measuredDisk, ...measured } = res.result.measured;
  const { diskBytes: estimatedDisk, ...estimated } = res.result.estimate;
  t.same(measured, estimated, 'measured on the output = analyze estimate: entries, inodes, bytes, links');
  const slack = 4096 * htreeDirs(res.result.written.map((id) => join(out, id, 'diff')));
  t.ok(Math.abs(measuredDisk - estimatedDisk) <= slack, `disk ${measuredDisk} = estimate ${estimatedDisk} (± one leaf per htree dir: ${slack})`);
  t.same(res.result.estimate, pick(reports.overlay.imageLayers.asMultiLower), 'all layers converted: = imageLayers.asMultiLower');
  t.same(res.result.legacy, pick(reports.overlay.imageLayers), 'the legacy side is what analyze measured');
  t.same([res.result.saved.inodes, res.result.saved.bytes],
    [res.result.legacy.inodes - res.result.measured.inodes, res.result.legacy.diskBytes - res.result.measured.diskBytes], 'saving measured on the output');
  const diffs = res.result.written.map((id) => join(out, id, 'diff'));
  const truth = truthOf(diffs);
  t.same(res.result.measured, pick(truth), 'measured = find over the written diff dirs');
  t.equal(res.result.measured.diskBytes, truth.duBytes, 'measured disk = du');
  t.equal(res.result.written.length, layerDirsOf(roots.overlay.dataRoot, 'overlay').image.size, 'shared layers written once');
  const app2 = res.result.images.find((i) => i.name === 'app:2')!;
  t.equal(app2.lowers.length, 6);
  t.match(app2.lowerdir, new RegExp(`^lowerdir=${out}/[0-9a-f]{64}/diff(:${out}/[0-9a-f]{64}/diff){5}$`));
  // overlay2 on-disk conventions: whiteouts are char 0/0, replaced dirs opaque, lower/link/l/ present.
  const find = (dir: string, ...args: string[]) => execa('find', [dir, ...args]).then((x) => x.stdout.split('\n').filter(Boolean));
  const whiteouts = await find(out, '-type', 'c');
  t.ok(whiteouts.some((p) => p.endsWith('/diff/data/big.bin')), 'rm big.bin → whiteout');
  t.ok(whiteouts.every((p) => !p.includes('/tz/Europe/')), 'rm -rf Europe && mkdir Europe → no per-file whiteouts');
  const opaque = await execa('getfattr', ['-R', '-h', '--absolute-names', '-n', 'trusted.overlay.opaque', out], { reject: false });
  t.match(opaque.stdout, /\/diff\/data\/tz\/Europe\ntrusted\.overlay\.opaque="y"/, 'replaced dir is opaque');
  const top = res.result.images.find((i) => i.name === 'app:2')!.lowers[0]!;
  const id = top.split('/').slice(-2)[0]!;
  t.match(readFileSync(join(out, id, 'lower'), 'utf8'), /^l\/[A-Z2-7]{26}(:l\/[A-Z2-7]{26}){4}$/);
  t.equal((await execa('readlink', [join(out, 'l', readFileSync(join(out, id, 'link'), 'utf8'))])).stdout, `../${id}/diff`);
});

t.test('convert is restartable and verify catches tampering', async (t) => {
  const out = join(scratch, 'restart');
  const first = await convert(['--out', out, '--image', 'app:1']);
  t.equal(first.exitCode, 0, first.stderr);
  t.equal(first.json!.result.written.length, 4, 'only app:1 layers');
  const [victim, ...kept] = first.json!.result.written.slice().reverse();
  // An interrupted run: the top layer half-written, never renamed into place.
  rmSync(join(out, victim!), { recursive: true });
  await execa('mkdir', ['-p', join(out, `.partial-${victim}`, 'diff', 'junk')]);
  const again = await convert(['--out', out, '--image', 'app:1', '--verify']);
  t.equal(again.exitCode, 0, again.stderr);
  t.same(again.json!.result.written, [victim], 'only the missing layer is redone');
  t.same(again.json!.result.reused.slice().sort(), kept.slice().sort());
  t.same(again.json!.result.measured, first.json!.result.measured);
  t.ok(again.json!.verified[0]!.identical);
  t.notOk((await execa('ls', ['-a', out])).stdout.includes('.partial-'), 'partial dirs are cleaned up');
  // Change one converted file: verification must fail and name it.
  const bin2 = join(out, victim!, 'diff', 'data', 'bb-copy');
  await execa('sh', ['-c', `printf x >> ${bin2}`]);
  const bad = await convert(['--out', out, '--image', 'app:1', '--verify']);
  t.equal(bad.exitCode, 1, 'a differing stack fails the command');
  t.match(bad.stdout, /verify app:1: DIFFERENT\n {2}\/data\/bb-copy: size: converted 1982257, legacy 1982256/);
});

t.test('convert refuses bad input and changes nothing', async (t) => {
  const inside = join(roots.overlay.dataRoot, 'converted');
  const r = await convert(['--out', inside]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /^ovl-dedup: --out .*: inside the data root/);
  t.notOk((await execa('ls', [roots.overlay.dataRoot])).stdout.includes('converted'));
  const noImage = await convert(['--out', join(scratch, 'n'), '--image', 'nope:1']);
  t.equal(noImage.exitCode, 2);
  t.match(noImage.stderr, /--image nope:1: no such image/);
  const ov2 = await execa(bin, ['convert', roots.overlay2.dataRoot, '--out', join(scratch, 'o')], { reject: false });
  t.equal(ov2.exitCode, 2, 'an overlay2 root is a wrong argument for convert');
  t.match(ov2.stderr, /no legacy overlay store to convert/);
});

t.test('convert --verify-with fuse: identical through ovl-fuse, or refused before any work', async (t) => {
  const typo = await convert(['--out', join(scratch, 'x'), '--verify-with', 'fusee']);
  t.same([typo.exitCode, typo.stderr], [2, 'ovl-dedup: --verify-with fusee: expected kernel or fuse']);
  const out = join(scratch, 'fuse');
  const r = await convert(['--out', out, '--verify-with', 'fuse']);
  if (/ovl-fuse is not available in this build/.test(r.stderr)) {
    // ovl-fuse not merged in this build: an honest usage error, and nothing written.
    t.equal(r.exitCode, 2);
    t.notOk(existsSync(out), 'refused before converting');
    return;
  }
  t.equal(r.exitCode, 0, r.stderr);
  t.same(r.json!.verified.map((v) => [v.image, v.identical]), r.json!.verified.map((v) => [v.image, true]));
  t.equal(r.json!.verified.length, 4);
});

t.test("legacy diffs name exactly the paths of docker's own layer tars (tar-split)", async (t) => {
  const run = await runAnalysis(roots.overlay.dataRoot);
  const store = run.discovery.stores[0]!;
  const scans = run.scans[0]!;
  const db = join(roots.overlay.dataRoot, 'image', 'overlay', 'layerdb', 'sha256');
  for (const layer of [...store.layers.values()].filter((l) => l.role === 'image')) {
    const records = gunzipSync(readFileSync(join(db, layer.chainId.slice(7), 'tar-split.json.gz'))).toString('utf8')
      .split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: number; name?: string });
    const names = records.filter((r) => r.type === 1).map((r) => r.name!.replace(/^\.\//, '').replace(/\/$/, '')).filter(Boolean);
    const diff = legacyDiff(scans.get(layer.parent) ?? null, scans.get(layer.cacheId)!);
    const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    const dirOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));
    const tarWhiteouts = names.filter((n) => base(n).startsWith('.wh.')).map((n) => `${dirOf(n) ? `${dirOf(n)}/` : ''}${base(n).slice(4)}`);
    t.same(diff.filter((i) => !i.whiteout).map((i) => i.path).sort(), names.filter((n) => !base(n).startsWith('.wh.')).sort(),
      `layer ${layer.cacheId.slice(0, 12)}: the same entries`);
    const opaque = diff.filter((i) => i.opaque).map((i) => i.path);
    const covered = (p: string) => diff.some((i) => i.whiteout && i.path === p) || opaque.some((o) => p.startsWith(`${o}/`));
    t.ok(tarWhiteouts.every(covered), `layer ${layer.cacheId.slice(0, 12)}: every .wh. of the tar is a whiteout or under an opaque dir`);
    t.ok(diff.filter((i) => i.whiteout).every((i) => tarWhiteouts.includes(i.path)), 'and no other whiteouts');
  }
});
