// migrate on generated legacy roots (fake-root): bad input found before anything is written is one
// UsageError line naming the path (exit 2) and leaves the root as it was. Cases a read-only review
// reproduced as internal errors, or as a commit that crashed half done.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fingerprint } from '../../test/helpers/ground-truth.js';
import { UsageError } from '../errors.js';
import { addLegacyContainer, writeFakeRoot } from './fake-root.js';
import { migrate } from './migrate.js';

const CTR = 'f'.repeat(64);
/** The container's layer ids: what moby writes, 64 hex digits (and -init); discover refuses others. */
const RW = 'e'.repeat(64);

/** Legacy root: images a:1 and b:1 on aaaa1111 (+ bbbb2222 / cccc3333), and one container of a:1. */
function legacyRoot(t: Tap, config: string): { root: string; base: string } {
  const base = mkdtempSync(join(tmpdir(), 'ovl-migrate-unit-'));
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, 'L');
  const layer = (id: string, file: string) => ({ id: id.padEnd(64, '0'), build: (d: string) => writeFileSync(join(d, file), file) });
  const a = layer('aaaa1111', 'a');
  writeFakeRoot(root, 'overlay', [{ tags: ['a:1'], layers: [a, layer('bbbb2222', 'b')] }, { tags: ['b:1'], layers: [a, layer('cccc3333', 'c')] }]);
  addLegacyContainer(root, CTR, RW, 'bbbb2222'.padEnd(64, '0'), config);
  writeFileSync(join(root, 'overlay', RW, 'upper', 'new'), 'rw');
  return { root, base };
}

type Tap = { teardown(fn: () => void): void };
const goodConfig = JSON.stringify({ ID: CTR, Name: '/web', Driver: 'overlay' });

t.test('a broken container config is refused before anything is written', async (t) => {
  for (const [what, text] of [['truncated', '{"ID": "trunc\n'], ['not an object', 'null']] as const) {
    const { root } = legacyRoot(t, text);
    const fp = fingerprint(root);
    const file = join(root, 'containers', CTR, 'config.v2.json');
    const err = await migrate(root, { inPlace: true }).catch((e: unknown) => e);
    t.type(err, UsageError, `${what}: a usage error (exit 2)`);
    t.match((err as Error).message, `${file}: `, 'names the file');
    t.notMatch((err as Error).message, /\n/, 'one line');
    t.equal(fingerprint(root), fp, `${what}: root unchanged, no staging dir`);
  }
});

t.test('the same root migrates once the config is fixed', async (t) => {
  const { root } = legacyRoot(t, goodConfig);
  const r = await migrate(root, { inPlace: true });
  t.same(r.plan!.containers.map((c) => c.name), ['web']);
});

t.test('a dangling symlink at the top of the root is copied to --out as a link', async (t) => {
  const { root, base } = legacyRoot(t, goodConfig);
  // dockerd's root can hold symlinks (volumes on another disk); the disk may be gone.
  symlinkSync('/nonexistent', join(root, 'volumes'));
  const out = join(base, 'N');
  const dry = await migrate(root, { out, dryRun: true });
  t.ok(dry.dryRun, '--dry-run plans it');
  t.notOk(existsSync(out), 'and writes nothing');
  await migrate(root, { out });
  t.ok(lstatSync(join(out, 'volumes')).isSymbolicLink(), 'a link in the new root');
  t.equal(readlinkSync(join(out, 'volumes')), '/nonexistent', 'to the same place');
  t.notOk(existsSync(join(out, '.ovl-migrate')), 'the commit finished');
});

t.test('--out that cannot be a directory is refused up front, naming the path', async (t) => {
  const { root, base } = legacyRoot(t, goodConfig);
  const file = join(base, 'FILE');
  writeFileSync(file, 'x');
  const dangling = join(base, 'dangling');
  symlinkSync(join(base, 'nowhere'), dangling);
  const cases: Array<[string, string]> = [
    [join(file, 'sub'), `--out ${join(file, 'sub')}: ${file} is not a directory`],
    [file, `--out ${file}: not a directory`],
    [dangling, `--out ${dangling}: a dangling symlink to ${join(base, 'nowhere')}`],
    [join(dangling, 'sub'), `--out ${join(dangling, 'sub')}: ${dangling} is a dangling symlink to ${join(base, 'nowhere')}`],
  ];
  const fp = fingerprint(base);
  for (const [out, message] of cases) {
    for (const dryRun of [true, false]) {
      const err = await migrate(root, { out, dryRun }).catch((e: unknown) => e);
      t.type(err, UsageError, `${out}${dryRun ? ' --dry-run' : ''}: a usage error (exit 2)`);
      t.equal((err as Error).message, message);
    }
  }
  t.equal(fingerprint(base), fp, 'nothing written anywhere');
});

t.test('--in-place refuses a leftover image/overlay2 the commit would have to rename over', async (t) => {
  const { root } = legacyRoot(t, goodConfig);
  mkdirSync(join(root, 'image', 'overlay2'));
  const fp = fingerprint(root);
  const err = await migrate(root, { inPlace: true }).catch((e: unknown) => e);
  t.type(err, UsageError, 'a usage error (exit 2)');
  t.equal((err as Error).message, `${join(root, 'image', 'overlay2')}: already exists without overlay2/ (left by another dockerd?); move it away first`);
  t.equal(fingerprint(root), fp, 'root unchanged, nothing committed');
});
