// ovl-dedup migrate on a real legacy root: a private dockerd (storage driver `overlay`) builds
// images that share layers (whiteouts, a re-created dir, hard links, an xattr), one stopped
// container with changes in its RW layer and one created container with a file copied in. After
// `migrate`, a dockerd with `--storage-driver overlay2` on the migrated root must list the same
// images and containers, run every image to the same file tree, show the same `docker diff`, start
// the stopped container, commit and build FROM a migrated image, and report the sizes analyze
// reports. Then: --in-place killed at several points and rerun, and every refusal (exit 2, one
// line, root unchanged). Every daemon is private (temp dirs) and stopped in teardown.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import type { MigrateResult } from '../../src/dedup/migrate.js';
import type { Report } from '../../src/dedup/report.js';
import { buildDockerRoot, Daemon, mountsBelow, type Driver } from '../helpers/docker-roots.js';
import { fingerprint } from '../helpers/ground-truth.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'ovl-migrate-'));
const daemons: Daemon[] = [];
t.teardown(async () => {
  for (const d of daemons) await d.stop();
  for (const m of mountsBelow(base)) await execa('umount', ['-l', m], { reject: false });
  rmSync(base, { recursive: true, force: true });
});

let n = 0;
async function daemon(driver: Driver, dataRoot: string): Promise<Daemon> {
  const d = new Daemon(join(base, `d${++n}`), driver, dataRoot);
  daemons.push(d);
  await d.start();
  return d;
}

// Every path of the container's own filesystem with type, mode, owner, size and content hash.
// The three files docker bind-mounts per container (hostname, hosts, resolv.conf) differ by design;
// a directory's st_size is its own block count, which overlayfs takes from the top-most layer
// holding the directory (a full legacy tree vs a diff), not content.
const LIST_TREE =
  "find / -xdev | grep -v -x -e /etc/hostname -e /etc/hosts -e /etc/resolv.conf | sort | while read -r f; do " +
  "s=$(stat -c '%F %a %u:%g' \"$f\"); { [ -d \"$f\" ] && [ ! -L \"$f\" ]; } || s=\"$s $(stat -c %s \"$f\")\"; if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then s=\"$s $(sha256sum < \"$f\" | cut -c1-64)\"; fi; " +
  'echo "$f $s"; done';

interface SystemDf {
  Images: Array<{ Id: string; Size: number; SharedSize: number }>;
  Containers: Array<{ Id: string; SizeRw: number }>;
}

interface Observed {
  /** `docker system df` (Engine API), taken before any container of this daemon started */
  df: SystemDf;
  images: string;
  containers: string;
  trees: Map<string, string>;
  diffs: Map<string, string>;
}

async function observe(d: Daemon): Promise<Observed> {
  const df = JSON.parse(await d.api('/system/df')) as SystemDf;
  const images = (await d.docker(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).split('\n').sort().join('\n');
  const containers = (await d.docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}} {{.Image}}'])).split('\n').sort().join('\n');
  const trees = new Map<string, string>();
  for (const tag of ['base:1', 'app:1', 'app:2', 'side:1']) trees.set(tag, await d.docker(['run', '--rm', '--network', 'none', tag, 'sh', '-c', LIST_TREE]));
  const diffs = new Map<string, string>();
  for (const c of ['c1', 'c2']) diffs.set(c, (await d.docker(['diff', c])).split('\n').sort().join('\n'));
  return { df, images, containers, trees, diffs };
}

/** Run migrate; `killAt` makes it SIGKILL itself at that step, as kill -9 would. */
async function migrate(args: string[], killAt = ''): Promise<{ code: number; stdout: string; stderr: string; json: MigrateResult | null; signal?: string }> {
  const json = join(base, `m-${++n}.json`);
  const env = { CI: '', OVL_DEDUP_MIGRATE_KILL_AT: killAt };
  const r = await execa(bin, ['migrate', ...args, '--json', json], { reject: false, env });
  const parsed = existsSync(json) ? (JSON.parse(readFileSync(json, 'utf8')) as MigrateResult) : null;
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, json: parsed, signal: r.signal ?? undefined };
}

async function analyzeJson(root: string, name: string): Promise<Report> {
  const json = join(base, `analyze-${name}.json`);
  const a = await execa(bin, ['analyze', root, '--json', json], { reject: false, env: { CI: '' } });
  if (a.exitCode !== 0) throw new Error(`analyze ${root}: exit ${a.exitCode}: ${a.stderr}`);
  return JSON.parse(readFileSync(json, 'utf8')) as Report;
}

// The legacy root: the shared Dockerfiles (test/helpers/docker-roots.ts) and container c1, plus a
// created container c2 with a file copied into its RW layer.
const legacyBuild = await buildDockerRoot('overlay', join(base, 'legacy'));
const legacy = legacyBuild.dataRoot;
const before = await (async () => {
  const d = await daemon('overlay', legacy);
  const file = join(base, 'copied.txt');
  writeFileSync(file, 'copied into a created container\n');
  await d.docker(['create', '--network', 'none', '--name', 'c2', 'app:1', 'cat', '/data/copied.txt']);
  await d.docker(['cp', file, 'c2:/data/copied.txt']);
  const seen = await observe(d);
  // While this daemon runs, the root is in use: migrate must refuse and change nothing.
  const fp = fingerprint(legacy);
  const busy = await migrate([legacy, '--out', join(base, 'busy-out')]);
  // Compared before the stop: a stopping dockerd writes into its own root (it did, once, in CI).
  const fpChanged = fingerprint(legacy) !== fp;
  await d.stop();
  return { seen, busy, fpChanged, report: await analyzeJson(legacy, 'legacy') };
})();

t.test('a root in use by dockerd is refused', async (t) => {
  t.equal(before.busy.code, 2);
  t.match(before.busy.stderr, /^ovl-dedup: \/.*: in use by dockerd pid \d+; stop it first\n?$/);
  t.notOk(before.fpChanged, 'root unchanged');
  t.notOk(existsSync(join(base, 'busy-out')), 'nothing written');
});

const out = join(base, 'migrated');
let first: Awaited<ReturnType<typeof migrate>>;
let migratedReport: Report;

t.test('migrate --out writes the overlay2 layout dockerd expects', async (t) => {
  first = await migrate([legacy, '--out', out]);
  t.equal(first.code, 0, first.stderr);
  const r = first.json!;
  t.equal(r.plan!.layers.length, 11, '7 image layers, 2 × (-init + RW)');
  t.equal(r.verified.images, 4, 'every image stack mounted and compared before commit');
  t.same(readdirSync(out).sort(), readdirSync(legacy).filter((x) => x !== 'overlay' && x !== 'tmp').concat('overlay2').sort());
  t.same(readdirSync(join(out, 'image')), ['overlay2']);
  for (const l of r.plan!.layers) {
    const dir = join(out, 'overlay2', l.id);
    const files = readdirSync(dir).sort();
    const want = ['diff', 'link', ...(l.lower ? ['lower', 'work'] : []), ...(l.committed ? ['committed'] : [])].sort();
    t.same(files, want, `${l.role} ${l.id.slice(0, 12)}: ${want.join(' ')}`);
    const link = readFileSync(join(dir, 'link'), 'utf8');
    t.equal((await execa('readlink', [join(out, 'overlay2', 'l', link)])).stdout, `../${l.id}/diff`);
  }
  for (const c of readdirSync(join(out, 'containers'))) {
    const cfg = JSON.parse(readFileSync(join(out, 'containers', c, 'config.v2.json'), 'utf8')) as Record<string, string>;
    t.equal(cfg.Driver, 'overlay2');
    // The files dockerd keeps for a container are the new root's (a container that never started has none yet).
    for (const f of ['HostsPath', 'ResolvConfPath', 'HostnamePath', 'LogPath']) {
      if (cfg[f]) t.ok(cfg[f]!.startsWith(`${out}/containers/${c}/`), `${c.slice(0, 12)} ${f} ${cfg[f]} is below the new root`);
    }
  }
  // Regular files of image diffs share the legacy inodes: the new layout costs inodes, not bytes.
  t.ok(r.plan!.linked.bytes > 4 * r.added!.bytes, `linked ${r.plan!.linked.bytes} B, added ${r.added!.bytes} B`);
  const estimate = r.plan!.newCost;
  t.ok(Math.abs(estimate.inodes - r.added!.inodes) <= 0.05 * r.added!.inodes, `estimate ${estimate.inodes} inodes ≈ measured ${r.added!.inodes}`);
  const x = await execa('getfattr', ['-R', '-h', '--absolute-names', '-n', 'user.ovlkit', join(out, 'overlay2')], { reject: false });
  t.match(x.stdout, /\/diff\/usr\/share\/doc\/README\nuser\.ovlkit="base"/, 'xattrs carried over');
  migratedReport = await analyzeJson(out, 'migrated');
  t.same(migratedReport.warnings, [], 'analyze reads the migrated root without a warning');
  t.same(r.after!.imageLayers, pickCounts(migratedReport.stores[0]!.imageLayers), 'migrate reports what analyze counts');
  t.same(r.before!.imageLayers, pickCounts(before.report.stores[0]!.imageLayers), 'and before: analyze of the legacy root');
});

t.test('dockerd --storage-driver overlay2 runs the migrated root as before', async (t) => {
  const d = await daemon('overlay2', out);
  const after = await observe(d);
  for (const img of migratedReport.images) {
    const row = after.df.Images.find((i) => i.Id === img.id)!;
    t.same([img.size, img.sharedSize], [row.Size, row.SharedSize], `${img.name}: docker system df size and shared size = analyze`);
  }
  for (const c of migratedReport.containers) {
    const rw = after.df.Containers.find((x) => x.Id === c.id)!.SizeRw;
    // overlay2 sizes a RW layer by walking diff/ and adding st_size of every non-directory inode,
    // symlinks included (docker's /etc/mtab → /proc/mounts is 12 bytes); analyze's regularBytes
    // counts regular files only. The legacy driver diffs the mounted tree (naive diff): regular files.
    const links = (await execa('find', [join(out, 'overlay2', c.rwLayer, 'diff'), '-type', 'l', '-printf', '%s\n'])).stdout
      .split('\n').filter(Boolean).reduce((a, b) => a + Number(b), 0);
    t.equal(rw, c.counts.regularBytes + links, `container ${c.id.slice(0, 12)}: SizeRw = analyze regular bytes + ${links} B of symlinks`);
    t.equal(before.seen.df.Containers.find((x) => x.Id === c.id)!.SizeRw, c.counts.regularBytes, 'legacy dockerd: SizeRw = analyze');
  }
  t.equal(after.images, before.seen.images, 'same image IDs and tags');
  t.equal(after.containers, before.seen.containers, 'same container IDs, names, states, images');
  for (const [tag, tree] of before.seen.trees) {
    t.ok(tree.split('\n').length > 250, `${tag}: a whole tree`);
    t.equal(after.trees.get(tag), tree, `${tag}: docker run lists the same tree`);
  }
  for (const [c, diff] of before.seen.diffs) t.equal(after.diffs.get(c), diff, `${c}: docker diff unchanged`);
  t.match(before.seen.diffs.get('c1')!, /D \/data\/a\.txt/);
  t.match(before.seen.diffs.get('c2')!, /A \/data\/copied\.txt/);
  t.equal(await d.docker(['start', '-a', 'c2']), 'copied into a created container\n', 'the created container runs with its RW file');
  await d.docker(['start', '-a', 'c1']);
  t.equal((await d.docker(['diff', 'c1'])).split('\n').sort().join('\n'), before.seen.diffs.get('c1'), 'c1 restarted: same changes');
  // This dockerd sets them afresh at a start; one run with --bridge=none (NetworkDisabled
  // containers) kept HostsPath and ResolvConfPath as the config had them (a review): the legacy
  // root's before the fix, empty files once that root was removed. The configs are checked above.
  for (const p of (await d.docker(['inspect', '-f', '{{.HostsPath}} {{.ResolvConfPath}} {{.HostnamePath}} {{.LogPath}}', 'c1'])).trim().split(' ')) {
    t.ok(p.startsWith(`${out}/`), `c1 restarted: ${p} is the new root's`);
  }
  await d.docker(['commit', 'c1', 'committed:1']);
  t.equal(await d.docker(['run', '--rm', '--network', 'none', 'committed:1', 'cat', '/data/new']), 'ctr\n', 'docker commit of a migrated container');
  const ctx = join(base, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM app:2\nRUN rm /data/bb-copy && echo built > /data/built\n');
  await d.docker(['build', '-q', '-t', 'built:1', '.'], ctx);
  t.equal(await d.docker(['run', '--rm', '--network', 'none', 'built:1', 'sh', '-c', 'cat /data/built; ls /data/bb-copy 2>&1 || true']),
    'built\nls: /data/bb-copy: No such file or directory\n', 'docker build FROM a migrated image');
  await d.docker(['rmi', 'committed:1', 'built:1']);
  await d.stop();
});

function pickCounts(c: { entries: number; inodes: number; regularBytes: number; diskBytes: number; maxLinks: number }) {
  return { entries: c.entries, inodes: c.inodes, regularBytes: c.regularBytes, diskBytes: c.diskBytes, maxLinks: c.maxLinks };
}

/** A private copy of the legacy root (hard links inside it kept) for tests that change it. */
async function cpA(name: string): Promise<string> {
  const dir = join(base, name);
  await execa('cp', ['-a', legacy, dir]);
  return dir;
}

t.test('--in-place survives kill -9 while staging and twice while committing, then --remove-legacy', async (t) => {
  const root = await cpA('inplace');
  const legacyParts = () => ['overlay', 'image/overlay', 'containers'].map((p) => fingerprintNoLinks(join(root, p))).join('\n');
  const fp = legacyParts();
  const killed = await migrate([root, '--in-place'], 'stage-layer');
  t.equal(killed.signal, 'SIGKILL', 'killed after the first staged layer');
  t.equal(legacyParts(), fp, 'legacy store untouched (apart from link counts)');
  t.ok(existsSync(join(root, '.ovl-migrate', 'journal.json')));
  t.notOk(existsSync(join(root, 'overlay2')));
  {
    const d = await daemon('overlay', root);
    t.match(await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}']), /app:2/, 'a legacy dockerd still lists the images');
    t.equal(await d.docker(['run', '--rm', '--network', 'none', 'app:2', 'cat', '/data/keep/big-text']), 'x'.repeat(5000));
    await d.stop();
  }
  const killed2 = await migrate([root, '--in-place'], 'commit-overlay2');
  t.equal(killed2.signal, 'SIGKILL', 'killed at the first step of the commit');
  t.ok(existsSync(join(root, 'overlay2')) && existsSync(join(root, '.ovl-migrate', 'journal.json')));
  const killed3 = await migrate([root, '--in-place'], 'commit-move');
  t.equal(killed3.signal, 'SIGKILL', 'the rerun resumed the commit and was killed after moving one RW layer');
  const dry = await migrate([root, '--in-place', '--dry-run']);
  t.equal(dry.code, 2, 'no dry run of a half-committed migration');
  const done = await migrate([root, '--in-place']);
  t.equal(done.code, 0, done.stderr);
  t.equal(done.json!.resumedCommit, true, 'the rerun finished the commit');
  t.notOk(existsSync(join(root, '.ovl-migrate')));
  {
    const d = await daemon('overlay2', root);
    const after = await observe(d);
    t.equal(after.images, before.seen.images);
    t.equal(after.containers, before.seen.containers);
    t.equal(after.trees.get('app:2'), before.seen.trees.get('app:2'));
    for (const [c, diff] of before.seen.diffs) t.equal(after.diffs.get(c), diff, `${c}: docker diff unchanged`);
    await d.stop();
  }
  {
    // Both stores now; the containers were moved into overlay2, and the report says so plainly.
    const both = await analyzeJson(root, 'inplace-both');
    t.same(both.warnings, [], 'no legacy container reported with missing layers');
    t.same(both.containers.map((c) => c.driver), ['overlay2', 'overlay2']);
  }
  const again = await migrate([root, '--in-place']);
  t.equal(again.code, 2, 'a migrated root is not migrated twice');
  t.match(again.stderr, /already has an overlay2 store/);
  const rm = await migrate([root, '--in-place', '--remove-legacy']);
  t.equal(rm.code, 0, rm.stderr);
  t.same([rm.json!.removedLegacy, rm.json!.verified.images], [true, 4]);
  t.notOk(existsSync(join(root, 'overlay')));
  t.notOk(existsSync(join(root, 'image', 'overlay')));
});

t.test('--in-place killed by an outside kill -9 in every phase: legacy intact until commit, a rerun always finishes', async (t) => {
  const root = await cpA('random');
  const staging = join(root, '.ovl-migrate');
  const legacyParts = () => ['overlay', 'image/overlay', 'containers'].map((p) => fingerprintNoLinks(join(root, p))).join('\n');
  const fp = legacyParts();
  const layersStaged = () => (existsSync(join(staging, 'overlay2')) ? readdirSync(join(staging, 'overlay2')).filter((x) => /^[0-9a-f]{64}/.test(x)).length : 0);
  // Moments picked by watching the disk, not the clock: the run is killed as soon as it gets there.
  const moments: Array<[string, () => boolean]> = [
    ['journal written', () => existsSync(join(staging, 'journal.json'))],
    ['a layer half written', () => existsSync(join(staging, 'overlay2')) && readdirSync(join(staging, 'overlay2')).some((x) => x.startsWith('.partial-'))],
    ['5 layers staged', () => layersStaged() >= 5],
    ['an image stack mounted for verification', () => mountsBelow(join(staging, 'mnt')).length > 0],
    ['committing', () => existsSync(join(root, 'overlay2'))],
  ];
  for (const [what, reached] of moments) {
    const child = execa(bin, ['migrate', root, '--in-place'], { reject: false, env: { CI: '' } });
    const poll = setInterval(() => reached() && child.kill('SIGKILL'), 2);
    const r = await child;
    clearInterval(poll);
    if (r.exitCode === 0) {
      t.pass(`${what}: the run finished before the kill`);
      break;
    }
    const journal = join(staging, 'journal.json');
    const phase = existsSync(journal) ? (JSON.parse(readFileSync(journal, 'utf8')) as { phase: string }).phase : 'none';
    t.equal(r.signal, 'SIGKILL', `killed at "${what}" (journal: ${phase})`);
    if (phase !== 'commit' && !existsSync(join(root, 'overlay2'))) t.equal(legacyParts(), fp, 'legacy store untouched');
    if (what.includes('mounted')) t.ok(mountsBelow(join(staging, 'mnt')).length > 0, 'the killed run left its stack mounted (the next run unmounts it)');
  }
  const done = await migrate([root, '--in-place', '--remove-legacy']);
  t.equal(done.code, 0, done.stderr);
  t.same(mountsBelow(root), [], 'a verification mount left by a killed run is gone');
  t.equal(done.json!.verified.images, 4, 'verified before the legacy store went');
  t.ok(done.json!.removedLegacy);
  const report = await analyzeJson(root, 'random');
  t.same(report.warnings, [], 'the result reads cleanly');
  t.same(report.stores.map((s) => [s.driver, s.images, s.containers]), [['overlay2', 4, 2]]);
});

function fingerprintNoLinks(dir: string): string {
  // Staging hard-links legacy files: their link count and ctime change, nothing else may.
  return fingerprint(dir).split('\n').map((l) => l.split(' ').filter((_, i) => i !== 3 && i !== 9).join(' ')).join('\n');
}

t.test('refusals: one line, exit 2, root unchanged', async (t) => {
  const check = async (root: string, args: string[], re: RegExp) => {
    const fp = fingerprint(root);
    const r = await migrate([root, ...args]);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(fingerprint(root), fp, 'root unchanged');
  };
  await check(out, ['--out', join(base, 'x1')], /not a legacy overlay data root \(no image\/overlay\/, no overlay\/\)/);
  const broken = await cpA('broken');
  const db = join(broken, 'image', 'overlay', 'layerdb', 'sha256');
  const victim = readFileSync(join(db, readdirSync(db)[0]!, 'cache-id'), 'utf8');
  rmSync(join(broken, 'overlay', victim), { recursive: true });
  await check(broken, ['--out', join(base, 'x2')], /: layer sha256:[0-9a-f]{64} has no driver dir \(missing cache-id [0-9a-f]{64}\); refusing to migrate an incomplete root/);
  const small = join(base, 'small');
  mkdirSync(small);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', small]);
  await check(legacy, ['--out', join(small, 'new')], /not enough space: migrate needs .*, .* free/);
  t.same(readdirSync(small), [], 'nothing written to the small filesystem');
  const mounted = await cpA('mounted');
  await execa('mount', ['-t', 'tmpfs', 'tmpfs', join(mounted, 'tmp')]);
  await check(mounted, ['--in-place'], /in use: 1 mount\(s\) below it/);
  await check(legacy, ['--out', join(legacy, 'inside')], /--out .*: inside the data root/);
  await check(legacy, [], /give exactly one of --out NEW_ROOT and --in-place/);
  t.notOk(existsSync(join(base, 'x1')) || existsSync(join(base, 'x2')));
});

t.test('--dry-run changes nothing; --out to another filesystem copies instead of linking', async (t) => {
  const fp = fingerprint(legacy);
  const dry = await migrate([legacy, '--out', join(base, 'dry'), '--dry-run']);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /^Into .*: 4 images, 11 layers \(7 image layers as diffs, 4 container layers copied\), 2 containers\n/);
  t.match(dry.stdout, /new on disk \(estimate\): [\d,]+ inodes, .*\nshared with the legacy files by hard link: 325 inodes/);
  t.match(dry.stdout, /dry run: nothing written/);
  t.same([dry.json!.dryRun, dry.json!.written, dry.json!.after], [true, [], null]);
  t.notOk(existsSync(join(base, 'dry')), 'no output dir');
  t.equal(fingerprint(legacy), fp, 'root unchanged');
  const other = join(base, 'otherfs');
  mkdirSync(other);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', other]);
  const r = await migrate([legacy, '--out', join(other, 'new')]);
  t.equal(r.code, 0, r.stderr);
  t.same(r.json!.plan!.linked, { inodes: 0, bytes: 0 }, 'nothing can be linked across filesystems');
  t.equal(r.json!.verified.images, 4, 'every stack still mounted and compared');
  t.ok(r.json!.added!.bytes >= r.json!.after!.imageLayers.regularBytes, `the data is copied: ${r.json!.added!.bytes} B added`);
  t.equal(fingerprint(legacy), fp, 'root unchanged (no links, so not even link counts)');
});
