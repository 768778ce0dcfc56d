// The node core's lookup counts against the real kernel: the overlay served on /dev/fuse by the
// session worker, driven through the mount (walk, READDIRPLUS, create, hard links, renames of
// dirs with held children, unlinks of open files, copy-ups), then the kernel drops its dentries
// and must give every count back: the node table shrinks to the root, and nothing answers EIO
// (a count too low) or stays behind (too high). Every mount is unmounted in teardown.
import { closeSync, linkSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { resolveMountOptions } from '../../src/format/index.js';
import { mountDev } from '../../src/fuse/session/daemon.js';
import { isMounted, umountSurely } from '../../src/sys/index.js';

const lowlevel = new URL('../../src/fuse/lowlevel.ts', import.meta.url).href;

function walk(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    n++;
    if (statSync(p).isDirectory()) n += walk(p);
  }
  return n;
}

async function settles(counter: Int32Array, want: number): Promise<number> {
  for (let i = 0; i < 100; i++) {
    writeFileSync('/proc/sys/vm/drop_caches', '2');
    if (Atomics.load(counter, 0) === want) return want;
    await new Promise((r) => setTimeout(r, 100));
  }
  return Atomics.load(counter, 0);
}

for (const cache of ['always', 'never'] as const) {
  t.test(`cache=${cache}: every count the kernel took comes back`, async (t) => {
    process.umask(0);
    const root = mkdtempSync(join(tmpdir(), 'ovlkit-nodes-'));
    const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(root, d)) as [string, string, string, string];
    for (const d of [lower, upper, join(work, 'work'), merged]) mkdirSync(d, { recursive: true });
    for (let i = 0; i < 20; i++) {
      mkdirSync(join(lower, `d${i}`, 'sub'), { recursive: true });
      for (let j = 0; j < 30; j++) writeFileSync(join(lower, `d${i}`, j % 2 ? 'sub' : '', `f${j}`), `${i}/${j}`);
    }
    const counter = new SharedArrayBuffer(4);
    const cfg = resolveMountOptions({ lowerdirs: [lower], datadirs: [], upperdir: upper, workdir: work, extra: {} });
    const mount = await mountDev(merged, { readonly: false, fs: { module: lowlevel, export: 'createOverlayFs', args: [cfg, cache, { nodeCounter: counter }] } });
    const nodes = new Int32Array(counter);
    t.teardown(async () => {
      if (isMounted(merged)) await umountSurely(merged);
      await mount.closed;
      rmSync(root, { recursive: true, force: true });
    });

    t.equal(walk(merged), 20 * 32, 'the walk sees every name');
    // An upper-only dir (a lower one would need redirect_dir=on to move).
    mkdirSync(join(merged, 'up', 'sub'), { recursive: true });
    writeFileSync(join(merged, 'up', 'sub', 'f'), 'moved with its dir');
    // Names change under held nodes: copy-up, a hard link, a dir renamed with children held, an
    // unlinked file kept open, a replaced name.
    writeFileSync(join(merged, 'd0', 'f0'), 'copied up');
    linkSync(join(merged, 'd0', 'f0'), join(merged, 'd0', 'hl'));
    renameSync(join(merged, 'up'), join(merged, 'new-up'));
    const fd = openSync(join(merged, 'd2', 'f2'), 'r');
    unlinkSync(join(merged, 'd2', 'f2'));
    writeFileSync(join(merged, 'd3', 'f4'), 'replaced');
    renameSync(join(merged, 'd3', 'f4'), join(merged, 'd3', 'f6'));
    t.equal(readFileSync(join(merged, 'new-up', 'sub', 'f'), 'utf8'), 'moved with its dir', 'a child of the renamed dir');
    t.equal(statSync(join(merged, 'd0', 'hl')).nlink, 2);
    const buf = Buffer.alloc(8);
    t.equal(buf.subarray(0, readSync(fd, buf, 0, 8, 0)).toString(), '2/2', 'the unlinked open file reads');
    t.ok(walk(merged) > 600, 'a second walk');
    t.ok(Atomics.load(nodes, 0) > 1, `the kernel holds ${Atomics.load(nodes, 0)} nodes`);
    closeSync(fd);
    t.equal(await settles(nodes, 1), 1, 'after drop_caches: only the root');
    // + new-up, its sub and file, the hard link; - the unlinked file, the name renamed over another.
    t.equal(walk(merged), 20 * 32 + 4 - 2, 'and the tree still reads');
  });
}

t.test('a READDIRPLUS that fails after a lookup went into its reply gives that count back (the kernel sends no FORGET for an error reply)', async (t) => {
  process.umask(0);
  const root = mkdtempSync(join(tmpdir(), 'ovlkit-nodes-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(root, d)) as [string, string, string, string];
  for (const d of [lower, upper, join(work, 'work'), merged]) mkdirSync(d, { recursive: true });
  mkdirSync(join(lower, 'boom'));
  for (const name of ['a', 'b', 'fail-here']) writeFileSync(join(lower, 'boom', name), name);
  const counter = new SharedArrayBuffer(4);
  const cfg = resolveMountOptions({ lowerdirs: [lower], datadirs: [], upperdir: upper, workdir: work, extra: {} });
  const module = new URL('../helpers/failing-listing.ts', import.meta.url).href;
  const mount = await mountDev(merged, { readonly: false, fs: { module, export: 'createFailingListingFs', args: [cfg, 'always', { nodeCounter: counter }] } });
  const nodes = new Int32Array(counter);
  t.teardown(async () => {
    if (isMounted(merged)) await umountSurely(merged);
    await mount.closed;
    rmSync(root, { recursive: true, force: true });
  });
  t.throws(() => readdirSync(join(merged, 'boom')), { code: 'EIO' }, 'the listing fails');
  t.equal(await settles(nodes, 1), 1, 'after drop_caches: only the root');
});
