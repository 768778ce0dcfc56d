// Filesystems mounted on dirs inside the layers, and the overlay's own mount point inside a
// lower, next to kernel overlayfs. The kernel looks names up in each layer's dentry tree and
// never crosses a mount point (the dir beneath shows); ovl-fuse must show the same, and must not
// stat its own mount from its own thread (it hung there: `ls merged/mnt` never returned).
// Everything done through a mount runs in a child process group killed after 20 s, so a hang
// fails the test (and its teardown unmounts and kills the daemon) instead of blocking it.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { abortFuse, mountOverlay, mountTmpfs, umountSurely } from '../../src/sys/index.js';
import { ovlFuseBin, startFuse } from '../helpers/fuse.js';
import { type LayerDirs, kernelOptions, layerDirs } from '../helpers/layers.js';
import { fuseOptions } from '../helpers/fuse.js';

/**
 * Run `script` (sh, with `args` as $1…) in its own process group, killed whole after 20 s; its
 * stdout, or what went wrong. A timeout settles at once, without waiting for the output pipe to
 * close: a child stuck in a FUSE request survives SIGKILL until the request is answered (the kernel
 * waits out a request the daemon already read) and holds the pipe open; the caller then aborts
 * the connection, which frees it.
 */
function sh(script: string, ...args: string[]): Promise<string> {
  const child = spawn('sh', ['-c', script, 'sh', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group is gone already (ESRCH): nothing left to kill.
      }
      resolve(`timed out: ${script}`);
    }, 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code !== 0 ? `exit ${code ?? signal}: ${err.trim()}` : out.replace(/\n$/, ''));
    });
  });
}

/** What a user sees under `dir`: every path (sorted) with its type, and each file's contents. */
function look(dir: string): Promise<string> {
  return sh(`cd "$1" && find . -printf '%p %y\\n' | sort && find . -type f | sort | while read f; do printf '%s: ' "$f"; cat "$f"; done`, dir);
}

/** A tmpfs on `dir` (made first) holding `names`, unmounted before the tree goes. */
function tmpfsOn(d: LayerDirs, dir: string, names: string[]): void {
  mkdirSync(dir, { recursive: true });
  mountTmpfs(dir, '1m');
  d.track(dir);
  for (const n of names) writeFileSync(join(dir, n), `${n} on the mount\n`);
}

/**
 * Lower: sub/under with a tmpfs on sub holding ontop, and usub/lf; upper: usub/uunder, a tmpfs
 * on usub holding uontop.
 */
function submountLayers(t: Test): LayerDirs {
  const d = layerDirs(t, 1, 'ovlkit-submount-');
  const [l] = d.lowers as [string];
  mkdirSync(join(l, 'sub'));
  writeFileSync(join(l, 'sub', 'under'), 'under the lower mount\n');
  writeFileSync(join(l, 'top'), 'top\n');
  mkdirSync(join(l, 'usub'));
  writeFileSync(join(l, 'usub', 'lf'), 'lower file\n');
  tmpfsOn(d, join(l, 'sub'), ['ontop']);
  mkdirSync(join(d.upper, 'usub'));
  writeFileSync(join(d.upper, 'usub', 'uunder'), 'under the upper mount\n');
  tmpfsOn(d, join(d.upper, 'usub'), ['uontop']);
  return d;
}

/**
 * Through the mount: the view, then writes below both mount points (new names, a copy-up into
 * the upper dir beneath its mount, renames out of it and into it); then where they landed.
 */
async function submountRun(d: LayerDirs): Promise<Record<string, unknown>> {
  const m = d.merged;
  const before = await look(m);
  const wrote = await sh('cd "$1" && echo new > sub/new && echo unew > usub/unew && echo copied up >> usub/lf && mv usub/unew moved-out && mv top usub/moved-in', m);
  const after = await look(m);
  const [l] = d.lowers as [string];
  const mounted = { lowerMount: readdirSync(join(l, 'sub')).sort(), upperMount: readdirSync(join(d.upper, 'usub')).sort() };
  await umountSurely(m);
  await umountSurely(join(d.upper, 'usub'));
  return { before, wrote, after, mounted, upperBeneath: readdirSync(join(d.upper, 'usub')).sort(), upperSub: readdirSync(join(d.upper, 'sub')).sort() };
}

t.test('a filesystem mounted inside a lower or the upper does not show; the dir beneath it does', async (t) => {
  const k = submountLayers(t);
  mountOverlay(kernelOptions(k), k.merged);
  const kernel = await submountRun(k);
  t.match(kernel.before, /\.\/sub\/under/, 'the kernel shows the dir beneath the mount');
  const f = submountLayers(t);
  await startFuse(t, fuseOptions(f), f.merged);
  const fuse = await submountRun(f);
  t.same(fuse, kernel, 'ovl-fuse shows and writes what the kernel does');
  t.same(fuse.upperBeneath, ['lf', 'moved-in', 'uunder'], 'copy-up and renames land in the upper dir beneath its mount');
});

/** A lower holding dir mnt/ and file a; the overlay then goes on mnt/ itself. */
function ownMountLayers(t: Test): { d: LayerDirs; at: string } {
  const d = layerDirs(t, 1, 'ovlkit-ownmount-');
  const [l] = d.lowers as [string];
  writeFileSync(join(l, 'a'), 'a\n');
  mkdirSync(join(l, 'mnt'));
  const at = join(l, 'mnt');
  d.track(at);
  return { d, at };
}

t.test('the mount point inside a lower shows as the empty dir beneath it, without a hang', async (t) => {
  const k = ownMountLayers(t);
  mountOverlay(kernelOptions(k.d), k.at);
  const kernel = await look(k.at);
  await umountSurely(k.at);
  t.match(kernel, /^\. d\n\.\/a f\n\.\/mnt d\n/, 'the kernel shows the empty mnt');
  const f = ownMountLayers(t);
  await startFuse(t, fuseOptions(f.d), f.at);
  t.equal(await look(f.at), kernel, 'ovl-fuse shows what the kernel does');
  t.equal(await sh('echo x > "$1"/mnt/x', f.at), '');
  t.same(readdirSync(join(f.d.upper, 'mnt')), ['x'], 'a write in it lands in the upper');
  t.equal(await look(join(f.at, 'mnt')), '. d\n./x f\n./x: x', 'and shows there');
});

t.test('the same through the fuse-native transport', async (t) => {
  const f = ownMountLayers(t);
  await startFuse(t, fuseOptions(f.d, 'transport=fuse-native'), f.at);
  t.match(await look(f.at), /^\. d\n\.\/a f\n\.\/mnt d\n\.\/a: a$/);
});

t.test('the mount point inside the upper: shown and written as the kernel does', async (t) => {
  const setup = (): { d: LayerDirs; at: string } => {
    const d = layerDirs(t, 1, 'ovlkit-ownupper-');
    writeFileSync(join(d.lowers[0]!, 'a'), 'a\n');
    const at = join(d.upper, 'mnt');
    mkdirSync(at);
    d.track(at);
    return { d, at };
  };
  const run = async (at: string): Promise<string> => {
    const seen = await look(at);
    const wrote = await sh('echo x > "$1"/mnt/x && echo more >> "$1"/a', at);
    return `${seen}\n--${wrote}\n${await look(at)}`;
  };
  const k = setup();
  mountOverlay(kernelOptions(k.d), k.at);
  const kernel = await run(k.at);
  await umountSurely(k.at);
  const f = setup();
  await startFuse(t, fuseOptions(f.d), f.at);
  t.equal(await run(f.at), kernel);
  await umountSurely(f.at);
  t.same(readdirSync(join(f.d.upper, 'mnt')), ['x'], 'x is in the upper dir the mount covered');
});

/** A lower `l` (a, d/b) with the overlay mounted on `l` itself, as `lowerdir=/etc … /etc` is. */
function inPlaceLayers(t: Test): LayerDirs {
  const d = layerDirs(t, 1, 'ovlkit-inplace-');
  const [l] = d.lowers as [string];
  writeFileSync(join(l, 'a'), 'a\n');
  mkdirSync(join(l, 'd'));
  writeFileSync(join(l, 'd', 'b'), 'b\n');
  d.track(l);
  return d;
}

/** Through the mount on its own lower: the view, a copy-up and a new name, then df's filesystem type. */
async function inPlaceRun(l: string): Promise<string> {
  return [await look(l), await sh('echo more >> "$1"/a && echo n > "$1"/d/n && stat -f -c %b "$1" >/dev/null && echo ok', l), await look(l)].join('\n--\n');
}

/** The kernel's overlay mounted on its own lower: what inPlaceRun sees. */
async function kernelInPlace(t: Test): Promise<string> {
  const k = inPlaceLayers(t);
  const kl = k.lowers[0]!;
  mountOverlay(kernelOptions(k), kl);
  const seen = await inPlaceRun(kl);
  await umountSurely(kl);
  return seen;
}

t.test('mounted on its own lower: the lower beneath shows, as the kernel shows it, on both ways of starting', async (t) => {
  const kernel = await kernelInPlace(t);
  t.match(kernel, /\n--\nok\n--\n/, 'the kernel serves it');
  const f = inPlaceLayers(t);
  const fl = f.lowers[0]!;
  await startFuse(t, fuseOptions(f), fl);
  t.equal(await inPlaceRun(fl), kernel, 'foreground (the daemon mounts)');
  await umountSurely(fl);
  t.same(readdirSync(f.upper).sort(), ['a', 'd'], 'the copy-up and the new name went to the upper');
  const g = inPlaceLayers(t);
  const gl = g.lowers[0]!;
  // Detached: the command mounts, then hands the mount and its held fds to the daemon.
  t.equal(await sh(`"$1" -o "$2" "$3"`, ovlFuseBin, fuseOptions(g), gl), '');
  t.equal(await inPlaceRun(gl), kernel, 'detached (the command mounts, the daemon serves)');
  t.equal(await sh(`"$1" umount "$2"`, ovlFuseBin, gl), '');
});

t.test('mounted on its own lower through fuse-native (libfuse 2 wanted an empty mount point)', async (t) => {
  const kernel = await kernelInPlace(t);
  const f = inPlaceLayers(t);
  await startFuse(t, fuseOptions(f, 'transport=fuse-native'), f.lowers[0]!);
  t.equal(await inPlaceRun(f.lowers[0]!), kernel);
});

/**
 * The other shapes the kernel accepts (6.18): mounted on its own upper dir, on the dir holding the
 * upper and work dirs, and read-only on its top lower. Each is compared with the kernel's view
 * after the same writes (none read-only).
 */
t.test('mounted on its own upper, on the parent of upper and work, read-only on its top lower', async (t) => {
  type Shape = { name: string; at: (d: LayerDirs) => string; readonly?: boolean };
  const shapes: Shape[] = [
    { name: 'upper', at: (d) => d.upper },
    { name: 'parent', at: (d) => d.root },
    { name: 'read-only lower', at: (d) => d.lowers[0]!, readonly: true },
  ];
  const build = (shape: Shape): { d: LayerDirs; at: string } => {
    const d = layerDirs(t, 2, 'ovlkit-covered-');
    const [l1, l2] = d.lowers as [string, string];
    writeFileSync(join(l1, 'a'), 'a\n');
    writeFileSync(join(l2, 'b'), 'b\n');
    writeFileSync(join(d.upper, 'u'), 'u\n');
    const at = shape.at(d);
    d.track(at);
    return { d, at };
  };
  const run = async (at: string, readonly: boolean): Promise<string> => {
    const wrote = readonly ? '' : await sh('echo more >> "$1"/b && echo n > "$1"/n && stat -f -c %b "$1" >/dev/null && echo ok', at);
    return `${wrote}\n${await look(at)}`;
  };
  for (const shape of shapes) {
    const k = build(shape);
    mountOverlay(shape.readonly ? { ...kernelOptions(k.d), upperdir: undefined, workdir: undefined } : kernelOptions(k.d), k.at);
    const kernel = await run(k.at, shape.readonly === true);
    await umountSurely(k.at);
    const f = build(shape);
    await startFuse(t, fuseOptions(f.d, '', shape.readonly === true), f.at);
    t.equal(await run(f.at, shape.readonly === true), kernel, shape.name);
    await umountSurely(f.at);
  }
});

t.test("a copy of the overlay's own mount that propagation puts inside a lower: no hang, the dir beneath shows", async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-propagated-');
  const [l] = d.lowers as [string];
  writeFileSync(join(l, 'a'), 'a\n');
  mkdirSync(join(l, 'm'));
  // The lower bound on itself and made shared; a bind of it elsewhere is its peer, so a mount
  // on the bind's m/ shows at the lower's m/ too.
  const peer = join(d.root, 'peer');
  mkdirSync(peer);
  // Unmounted in teardown in the reverse order, before the tree goes, also after a hang.
  for (const m of [l, join(l, 'm'), peer]) d.track(m);
  t.equal(await sh('mount --bind "$1" "$1" && mount --make-shared "$1" && mount --bind "$1" "$2"', l, peer), '');
  const at = join(peer, 'm');
  d.track(at);
  await startFuse(t, fuseOptions(d), at);
  t.match(await sh('grep -c " $1 " /proc/self/mountinfo', join(l, 'm')), /^[1-9]/, 'the mount shows inside the lower too');
  const seen = await look(at);
  // Hung (the regression this guards against): abort the connection, so teardown can unmount.
  if (seen.startsWith('timed out')) abortFuse(at);
  t.equal(seen, '. d\n./a f\n./m d\n./a: a', 'the merged view, m as the empty dir beneath');
});
