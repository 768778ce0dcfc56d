// Failures on the output side of convert and migrate (a review, 2026-12-07): each is one line naming
// the path and the real errno, not "internal error" with node's wrong one (ENOENT for a read-only
// --out, ENOTDIR for a file chattr +i keeps), and a copy that runs out of space leaves no half
// layer behind holding the space.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exitCodeFor } from '../cli/run.js';
import { convert } from './convert.js';
import { writeFakeRoot } from './fake-root.js';
import { stageLayer } from './migrate-stage.js';
import { WarningLog } from './read-meta.js';
import { scanLayer } from './scan.js';

const BASE = 'aaaa1111'.padEnd(64, '0');
type Tap = { teardown(fn: () => void): void };

/** A legacy root with one image whose one layer holds `files` files of `size` bytes each (and `links` symlinks). */
function root(t: Tap, files: number, size: number, links = 0): { base: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), 'ovl-out-err-'));
  t.teardown(() => {
    try {
      execFileSync('chattr', ['-R', '-f', '-i', base], { stdio: 'ignore' });
    } catch {
      // chattr's status 1 for what it cannot flag
    }
    rmSync(base, { recursive: true, force: true });
  });
  const r = join(base, 'L');
  const build = (d: string) => {
    for (let i = 0; i < files; i++) writeFileSync(join(d, `f${i}`), Buffer.alloc(size, i + 1));
    for (let i = 0; i < links; i++) symlinkSync(`f${i}`, join(d, `s${i}`));
  };
  writeFakeRoot(r, 'overlay', [{ tags: ['a:1'], layers: [{ id: BASE, build }] }]);
  return { base, root: r };
}

function tmpfs(t: Tap, at: string, options: string): string {
  mkdirSync(at);
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]);
  t.teardown(() => execFileSync('umount', [at]));
  return at;
}

/** What the CLI prints for `err`, and its exit code. */
function printed(err: unknown): { line: string; code: number } {
  const said: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((s: string) => said.push(s) > 0) as typeof process.stderr.write;
  try {
    const code = exitCodeFor(err, 'ovl-dedup');
    return { line: said.join(''), code };
  } finally {
    process.stderr.write = write;
  }
}

t.test('convert --out on a read-only filesystem: EROFS naming the dir, not ENOENT', async (t) => {
  const { base, root: r } = root(t, 1, 10);
  const out = tmpfs(t, join(base, 'ro'), 'ro');
  const { line, code } = printed(await convert(r, out, []).catch((e: unknown) => e));
  t.equal(line, `ovl-dedup: ${out}/l: mkdir failed: EROFS\n`);
  t.equal(code, 1);
});

t.test('convert --out out of inodes: ENOSPC naming the path, no half layer left', async (t) => {
  // Symlinks, as the reviewer's root had: the inodes run out at symlink(2) (before: "internal error").
  const { base, root: r } = root(t, 1, 10, 150);
  const out = join(tmpfs(t, join(base, 'few'), 'nr_inodes=100'), 'out');
  const { line, code } = printed(await convert(r, out, []).catch((e: unknown) => e));
  t.match(line, new RegExp(`^ovl-dedup: ${out}/\\.partial-${BASE}/diff/s\\d+: symlink failed: ENOSPC\\n$`));
  t.equal(code, 1);
  t.same(readdirSync(out), ['l'], 'no .partial- dir left');
});

t.test('convert: a .partial- dir a killed convert left holding an immutable copy is removed on the rerun', async (t) => {
  // A copy of a +i legacy file is +i (flags are kept): a kill -9 after it leaves it so. A read-over
  // found the rerun refusing to remove it.
  const { base, root: r } = root(t, 1, 10);
  const out = join(base, 'out');
  const stuck = join(out, `.partial-${BASE}`, 'diff', 'f0');
  mkdirSync(join(out, `.partial-${BASE}`, 'diff'), { recursive: true });
  writeFileSync(stuck, 'x');
  execFileSync('chattr', ['+i', stuck]);
  t.teardown(() => {
    try {
      execFileSync('chattr', ['-i', stuck], { stdio: 'ignore' });
    } catch {
      // removed, as it should be
    }
  });
  await convert(r, out, []);
  t.notOk(existsSync(join(out, `.partial-${BASE}`)), 'the half layer is gone');
  t.ok(existsSync(join(out, BASE, 'diff')), 'and the layer written');
});

t.test('migrate: a layer that runs out of space is not left half written in the staging dir', async (t) => {
  const { base, root: r } = root(t, 3, 1 << 20);
  const driverDir = tmpfs(t, join(base, 'small'), 'size=2m');
  const src = join(r, 'overlay', BASE, 'root');
  const scans = new Map([[BASE, scanLayer(src, { log: new WarningLog() })!]]);
  const layer = { id: BASE, role: 'image' as const, src, below: [], lower: '', work: 'diff' as const, committed: false };
  const err = await stageLayer(driverDir, layer, scans, () => '').catch((e: unknown) => e);
  t.match(err, { name: 'OvlError', code: 'ENOSPC' });
  t.match(printed(err).line, /^ovl-dedup: \S+\/f\d: write failed: ENOSPC\n$/);
  t.same(readdirSync(driverDir), [], 'no .partial- dir holding the space');
});
