// migrate --in-place on a root that has only an overlay2 store (never legacy, or migrated with
// --remove-legacy already): one line saying there is nothing legacy, exit 2, the root unchanged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
import { writeFakeRoot } from '../../src/dedup/fake-root.js';
import { fingerprint } from '../helpers/ground-truth.js';

const bin = fileURLToPath(new URL('../../bin/ovl-dedup', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'ovl-dedup-notlegacy-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const root = join(work, 'docker');
writeFakeRoot(root, 'overlay2', [{ tags: ['x:1'], layers: [{ id: 'a'.repeat(64), build: (d) => writeFileSync(join(d, 'f'), 'x') }] }]);

for (const extra of [[], ['--remove-legacy'], ['--dry-run']]) {
  t.test(`migrate --in-place ${extra.join(' ')} on an overlay2 root`, async (t) => {
    const before = fingerprint(root);
    const r = await execa(bin, ['migrate', root, '--in-place', ...extra], { reject: false });
    t.same([r.exitCode, r.stderr], [2, `ovl-dedup: ${root}: not a legacy overlay data root (no image/overlay/, no overlay/)`]);
    t.equal(fingerprint(root), before, 'root unchanged');
  });
}

// A review found the leftover-image/overlay2 check itself failing (exit 1, ENOTDIR) when `image`
// is a file: such a root is refused as broken, one line, exit 2.
t.test('migrate --in-place on a root whose image is a file', async (t) => {
  const odd = join(work, 'odd');
  writeFakeRoot(odd, 'overlay', [{ tags: ['x:1'], layers: [{ id: 'b'.repeat(64), build: (d) => writeFileSync(join(d, 'f'), 'x') }] }]);
  rmSync(join(odd, 'image'), { recursive: true });
  writeFileSync(join(odd, 'image'), '');
  const before = fingerprint(odd);
  for (const extra of [[], ['--dry-run']]) {
    const r = await execa(bin, ['migrate', odd, '--in-place', ...extra], { reject: false });
    t.equal(r.exitCode, 2, r.stderr);
    t.equal(r.stderr.trim().split('\n').length, 1);
    t.notMatch(r.stderr, /internal error/);
  }
  t.equal(fingerprint(odd), before, 'root unchanged');
});

// A review: convert and migrate given the legacy store dir answered "not a legacy overlay data
// root", and analyze given an empty path printed "ovl-dedup: : no such directory".
t.test('the legacy store dir given for its data root is named, and an empty path is refused', async (t) => {
  const legacy = join(work, 'legacy');
  writeFakeRoot(legacy, 'overlay', [{ tags: ['x:1'], layers: [{ id: 'c'.repeat(64), build: (d) => writeFileSync(join(d, 'f'), 'x') }] }]);
  const before = fingerprint(legacy);
  for (const args of [['convert', join(legacy, 'overlay'), '--out', join(work, 'c-out')], ['migrate', join(legacy, 'overlay'), '--out', join(work, 'm-out')]]) {
    const r = await execa(bin, args, { reject: false });
    t.same([r.exitCode, r.stderr], [2, `ovl-dedup: ${join(legacy, 'overlay')}: the legacy store dir, not its data root; give ${legacy}`], args[0]!);
  }
  t.equal(fingerprint(legacy), before, 'root unchanged');
  for (const verb of ['analyze', 'convert', 'migrate']) {
    const r = await execa(bin, [verb, '', ...(verb === 'analyze' ? [] : ['--out', join(work, 'e-out')])], { reject: false });
    t.same([r.exitCode, r.stderr], [2, 'ovl-dedup: an empty path is not a data root'], verb);
  }
});
