// The code caches (src/fuse/session/code-cache.ts: the session worker's core and the command's) as a
// user meets them: an install whose cache files are damaged, stale or missing still mounts and
// serves the overlay right. Each
// case mounts from its own copy of the built bundle, so the real dist/ is never touched.
import { cpSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { fuseOptions, ovlFuseBin } from '../helpers/fuse.js';
import { type LayerDirs, layerDirs } from '../helpers/layers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const bundle = realpathSync(join(repo, 'dist/bundle'));
const CACHES = ['worker-core.cache', 'ovl-fuse-cli.cache'];

/** bin/ovl-fuse beside a copy of the bundle (under `root`), with `damage` done to the copy's caches. */
function install(root: string, damage: (cache: string) => void): string {
  mkdirSync(join(root, 'bin'), { recursive: true });
  mkdirSync(join(root, 'dist'));
  cpSync(ovlFuseBin, join(root, 'bin/ovl-fuse'));
  cpSync(bundle, join(root, 'dist/bundle'), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(root, 'node_modules'));
  for (const cache of CACHES) damage(join(root, 'dist/bundle', cache));
  return join(root, 'bin/ovl-fuse');
}

const damages: [string, (cache: string) => void][] = [
  ['garbage', (c) => writeFileSync(c, 'not a code cache\n')],
  ['bits flipped in the V8 data', (c) => {
    const b = readFileSync(c);
    for (let i = b.length >> 1; i < b.length; i += 97) b[i] = b[i]! ^ 0x5a;
    writeFileSync(c, b);
  }],
  ['truncated', (c) => writeFileSync(c, readFileSync(c).subarray(0, 4096))],
  ['missing', (c) => rmSync(c)],
];

t.test('the built bundle has its worker core, its command and their caches', async (t) => {
  for (const file of ['worker-core.cjs', 'ovl-fuse-cli.cjs', ...CACHES]) t.ok(readFileSync(join(bundle, file)).length > 0, file);
});

/** The start-up marks' names (OVL_FUSE_STARTUP_LOG) of a mount by `bin` of `d`, which must come up. */
async function mountMarks(t: Test, bin: string, d: LayerDirs): Promise<string[]> {
  const log = join(d.root, 'marks');
  const r = await execa(bin, ['-o', fuseOptions(d), d.merged], { reject: false, env: { CI: '', OVL_FUSE_STARTUP_LOG: log }, timeout: 60_000 });
  t.equal(r.exitCode, 0, r.stderr);
  return readFileSync(log, 'utf8').split('\n').map((l) => l.split(' ')[0]!);
}

t.test('the built caches are taken by the daemon (made under the V8 flags it runs with)', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-code-cache-');
  const marks = await mountMarks(t, install(join(d.root, 'install'), () => {}), d);
  t.ok(marks.includes('worker-core-loaded') && marks.includes('main-running'), marks.join(' '));
  t.same(marks.filter((m) => m.endsWith('-refused')), []);
});

for (const [what, damage] of damages) {
  t.test(`a cache ${what}: the mount still comes up and serves the overlay`, async (t) => {
    const d = layerDirs(t, 1, 'ovlkit-code-cache-');
    writeFileSync(join(d.lowers[0]!, 'a'), 'lower\n');
    const marks = await mountMarks(t, install(join(d.root, 'install'), damage), d);
    // A missing cache is no refusal: there was nothing to refuse.
    const refused = what === 'missing' ? [] : ['cli-cache-refused', 'worker-core-cache-refused'];
    t.same(marks.filter((m) => m.endsWith('-refused')).sort(), refused);
    t.equal(readFileSync(join(d.merged, 'a'), 'utf8'), 'lower\n');
    writeFileSync(join(d.merged, 'a'), 'upper\n');
    t.equal(readFileSync(join(d.upper, 'a'), 'utf8'), 'upper\n');
  });
}
