// lsattr through ovl-fuse next to kernel overlayfs on the very same layer dirs: the flags of the
// object's real copy (a lower file's own, an upper's), plus the append-only and immutable flags an
// upper keeps in its `protattr` xattr (a malformed value gives none), for files and dirs. chattr
// through ovl-fuse as through the kernel's overlay, and what append-only and immutable objects
// then refuse, side by side, down to the upper each leaves (docs/fuse.md, "lsattr and chattr").
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setXattr, umountSurely } from '../../src/sys/index.js';
import { type LayerDirs, type Teardowns, layerDirs, mountKernel } from '../helpers/layers.js';
import { remountAs } from '../helpers/twin.js';

type Target = 'kernel' | 'dev' | 'fuse-native';

/**
 * For each target, fresh layers `fill` makes, mounted (the kernel's overlay, or ovl-fuse on that
 * transport), `run` on them, unmounted; what each run returned, by target.
 */
async function onEach<T>(t: Teardowns, targets: readonly Target[], fill: (d: LayerDirs) => void, run: (d: LayerDirs) => T): Promise<Partial<Record<Target, T>>> {
  const seen: Partial<Record<Target, T>> = {};
  for (const target of targets) {
    const d = layerDirs(t, 1, `ovlkit-fileattr-${target}-`);
    fill(d);
    if (target === 'kernel') mountKernel(d);
    else await remountAs(t, 'fuse', d, target === 'fuse-native' ? 'transport=fuse-native' : undefined);
    seen[target] = run(d);
    await umountSurely(d.merged);
  }
  return seen;
}

/** Runs python script `py` with the merged dir as its argument and parses the JSON it prints. */
const python = (py: string) => (d: LayerDirs) => JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, d.merged], { encoding: 'utf8' }));

const NAMES = ['plain', 'noatime', 'ld', 'up-i', 'up-ai', 'up-bad', 'ud-a'];

/** lsattr's flag column for each name (-d: a dir's own flags). */
function observe(m: string): Record<string, string> {
  const seen: Record<string, string> = {};
  for (const name of NAMES) seen[name] = execFileSync('lsattr', ['-d', join(m, name)], { encoding: 'utf8' }).split(' ')[0]!;
  return seen;
}

t.test('lsattr as on kernel overlayfs: real flags plus protattr', async (t) => {
  const d = layerDirs(t, 1, 'ovlkit-fileattr-');
  const [l] = d.lowers as [string];
  writeFileSync(join(l, 'plain'), 'p');
  writeFileSync(join(l, 'noatime'), 'n');
  execFileSync('chattr', ['+A', join(l, 'noatime')]);
  mkdirSync(join(l, 'ld'));
  for (const [name, value] of [['up-i', 'i'], ['up-ai', 'ai'], ['up-bad', 'ax']] as const) {
    writeFileSync(join(d.upper, name), name);
    setXattr(join(d.upper, name), 'trusted.overlay.protattr', value);
  }
  mkdirSync(join(d.upper, 'ud-a'));
  setXattr(join(d.upper, 'ud-a'), 'trusted.overlay.protattr', 'a');

  mountKernel(d);
  const kernel = observe(d.merged);
  await remountAs(t, 'fuse', d);
  const fuse = observe(d.merged);
  t.same(fuse, kernel, 'the same flags through both');
  t.match(kernel.noatime, /A/, 'the lower file’s own noatime flag');
  t.match(kernel['up-ai'], /^----ia/, 'immutable and append-only from protattr');
  t.notMatch(kernel['up-bad'], /[ia]/, 'a malformed protattr gives no flag');
  t.match(kernel['ud-a'], /^-----a/, 'a dir’s protattr');

});

// Each step's exit status through the mount, then lsattr of what is left: the same script on
// kernel overlayfs and on ovl-fuse, each on fresh copies of the same layers.
const SCRIPT = `
r() { "$@" >/dev/null 2>&1; echo "$* -> $?"; }
r chattr +ai f; lsattr f | cut -c1-22; r chattr +i dd; lsattr -d dd | cut -c1-22
r sh -c 'echo z >> g'; lsattr g | cut -c1-22
r touch f; r touch -d 2020-01-01 f; r sh -c 'echo a >> f'; r sh -c 'echo a > f'
r touch dd/new; r sh -c 'echo q >> dd/h'; r rm dd/h; r mv dd/h h2; r chattr -i dd; r chattr +a dd; r touch dd/new2; r rm dd/new2
r mv f f2; r mv g f; r ln f f3; r setfattr -n user.x -v 1 f; r setfattr -x user.y g; r truncate -s 0 f; r chmod 600 f; r chown 1 f
r python3 -c "import os; os.chown('f', -1, -1)"
r sh -c 'echo more >> app'; r sh -c 'echo more > app'; r truncate -s 0 app; r rm app; r chmod 600 app; r touch app; r touch -d 2020-01-01 app
r touch -a app; r touch -m app; r touch -a imm
r python3 -c "import os; fd = os.open('app', os.O_WRONLY | os.O_APPEND); os.ftruncate(fd, 0)"
r sh -c 'echo more >> imm'; r rm imm; r mv imm imm2; r ln imm imm3; r touch imm; r python3 -c "import os; os.open('imm', os.O_RDONLY | os.O_TRUNC)"
r touch idir/new; r rm idir/k; r sh -c 'echo x >> idir/k'; r mkdir idir/sub; r python3 -c "import os; os.open('idir', os.O_TMPFILE | os.O_WRONLY)"
r chattr -a f; lsattr f | cut -c1-22; r sh -c 'echo a >> f'; r chattr -i f; r sh -c 'echo b > f'; cat f
lsattr app imm | cut -c1-22; lsattr -d idir dd | cut -c1-22
`;

/** A python helper for the scripts below: res(f) is "ok" or the strerror of what f raised. */
const PY_RESULT = ['def res(f):', '    try:', '        f(); return "ok"', '    except OSError as e:', '        return os.strerror(e.errno)'];

/** The upper's objects with their overlay xattrs but origin (which names each mount's own lower) and their flags. */
function upperState(upper: string): string {
  const py = [
    'import os, sys',
    'for root, ds, fs in os.walk(sys.argv[1]):',
    '  for n in sorted(ds + fs):',
    '    p = os.path.join(root, n)',
    '    x = {k: os.getxattr(p, k, follow_symlinks=False) for k in sorted(os.listxattr(p, follow_symlinks=False)) if not k.endswith("origin")}',
    '    print(os.path.relpath(p, sys.argv[1]), x)',
  ].join('\n');
  const xattrs = execFileSync('/usr/bin/python3', ['-c', py, upper], { encoding: 'utf8' });
  const flags = spawnSync('lsattr', ['-R', '.'], { cwd: upper, encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]).join(' ');
  return xattrs + flags;
}

t.test('chattr and what append-only and immutable objects refuse, as on kernel overlayfs', async (t) => {
  const fill = (d: LayerDirs) => {
    const l = d.lowers[0]!;
    for (const [name, data] of [['f', 'hi'], ['g', 'x'], ['app', 'z'], ['imm', 'q']]) writeFileSync(join(l, name!), data!);
    mkdirSync(join(l, 'dd'));
    writeFileSync(join(l, 'dd', 'h'), 'y');
    mkdirSync(join(l, 'idir'));
    writeFileSync(join(l, 'idir', 'k'), 'k');
    setXattr(join(l, 'g'), 'user.y', '1');
    // Flags made in the lower itself: the overlay inode has them from the start.
    execFileSync('chattr', ['+A', join(l, 'g')]);
    execFileSync('chattr', ['+a', join(l, 'app')]);
    execFileSync('chattr', ['+i', join(l, 'imm')]);
    execFileSync('chattr', ['+i', join(l, 'idir')]);
  };
  const run = (d: LayerDirs) => ({ out: execFileSync('bash', ['-c', SCRIPT], { cwd: d.merged, encoding: 'utf8' }), upper: d.upper });
  const seen = await onEach(t, ['kernel', 'dev'], fill, run);
  const { kernel, dev } = seen as Record<'kernel' | 'dev', { out: string; upper: string }>;
  t.same(dev.out.split('\n'), kernel.out.split('\n'), 'each step answered alike');
  // Read once each mount is gone.
  t.same(upperState(dev.upper).split('\n'), upperState(kernel.upper).split('\n'), 'the same upper: protattr values, flags, copies');
  t.match(kernel.out, /^touch -d 2020-01-01 app -> 1$/m, 'the script checks refusals (append-only: no time set)');
  t.match(kernel.out, /^touch app -> 0$/m, 'and what passes (append-only: touch)');
});

t.test('lsattr of an open file whose name is gone, and of an O_TMPFILE, as on kernel overlayfs', async (t) => {
  const py = [
    'import fcntl, json, os, struct, sys',
    'm = sys.argv[1]',
    'flags = lambda fd: struct.unpack("I", fcntl.ioctl(fd, 0x80086601, bytes(8))[:4])[0]',
    'fd = os.open(os.path.join(m, "lowerfile"), os.O_RDONLY)',
    'os.unlink(os.path.join(m, "lowerfile"))',
    'tmp = os.open(m, os.O_TMPFILE | os.O_RDWR, 0o600)',
    'print(json.dumps({"unlinked": flags(fd), "tmpfile": flags(tmp)}))',
  ].join('\n');
  const fill = (d: LayerDirs) => {
    writeFileSync(join(d.lowers[0]!, 'lowerfile'), 'x');
    execFileSync('chattr', ['+A', join(d.lowers[0]!, 'lowerfile')]);
  };
  const seen = await onEach(t, ['kernel', 'dev'], fill, python(py));
  t.same(seen.dev, seen.kernel);
  t.ok(((seen.kernel as { unlinked: number }).unlinked & 0x80) !== 0, 'the lower file’s noatime flag, read through the held fd');
});

t.test('an fd opened before chattr: fallocate, copy_file_range, ftruncate and write, and a flagged O_TMPFILE linked, as on kernel overlayfs', async (t) => {
  // vfs_fallocate and generic_copy_file_checks ask the flags of the inode behind an fd opened
  // before they were set; do_ftruncate only append-only; write(2) none of them.
  const py = [
    'import ctypes, fcntl, json, os, struct, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'm = sys.argv[1]',
    'def flag(p, bit, on):',
    '    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)',
    '    v = struct.unpack("I", fcntl.ioctl(fd, 0x80086601, bytes(8))[:4])[0]',
    '    fcntl.ioctl(fd, 0x40086602, struct.pack("I", (v | bit) if on else (v & ~bit)) + bytes(4))',
    '    os.close(fd)',
    ...PY_RESULT,
    'def falloc(fd, mode):',
    '    if libc.fallocate(fd, mode, ctypes.c_long(0), ctypes.c_long(4096)) != 0:',
    '        raise OSError(ctypes.get_errno(), "fallocate")',
    'def linkat_empty(fd, to):',
    '    if libc.linkat(fd, b"", -100, to.encode(), 0x1000) != 0:',
    '        raise OSError(ctypes.get_errno(), "linkat")',
    'out = {}',
    'src = os.open(os.path.join(m, "src"), os.O_RDONLY)',
    'p = os.path.join(m, "f")',
    'fd = os.open(p, os.O_RDWR)',
    'flag(p, 0x10, True)',
    'out["imm fallocate"] = res(lambda: falloc(fd, 0))',
    'out["imm punch"] = res(lambda: falloc(fd, 3))',
    'out["imm copy_file_range"] = res(lambda: os.copy_file_range(src, fd, 2, 0, 0))',
    'out["imm write"] = res(lambda: os.pwrite(fd, b"w", 0))',
    'out["imm ftruncate"] = res(lambda: os.ftruncate(fd, 3))',
    'flag(p, 0x10, False)',
    'flag(p, 0x20, True)',
    'out["app fallocate keep-size"] = res(lambda: falloc(fd, 1))',
    'out["app punch"] = res(lambda: falloc(fd, 3))',
    'out["app ftruncate"] = res(lambda: os.ftruncate(fd, 1))',
    'flag(p, 0x20, False)',
    'os.close(fd)',
    'for bit, name in ((0x10, "imm"), (0x20, "app")):',
    '    t = os.open(m, os.O_TMPFILE | os.O_RDWR, 0o600)',
    '    v = struct.unpack("I", fcntl.ioctl(t, 0x80086601, bytes(8))[:4])[0]',
    '    fcntl.ioctl(t, 0x40086602, struct.pack("I", v | bit) + bytes(4))',
    '    out[name + " tmpfile linkat"] = res(lambda: linkat_empty(t, os.path.join(m, "t" + name)))',
    '    fcntl.ioctl(t, 0x40086602, struct.pack("I", v) + bytes(4))',
    '    os.close(t)',
    'out["content"] = open(p, "rb").read().hex()',
    'print(json.dumps(out))',
  ].join('\n');
  const fill = (d: LayerDirs) => {
    writeFileSync(join(d.lowers[0]!, 'f'), 'lower data');
    writeFileSync(join(d.lowers[0]!, 'src'), 'source');
  };
  const seen = await onEach(t, ['kernel', 'dev'], fill, python(py));
  t.same(seen.dev, seen.kernel);
  t.equal(seen.kernel!['imm fallocate'], 'Operation not permitted', 'the case is one the kernel refuses');
});

t.test('an upper the kernel left with protattr, on both transports: open victims of unlink and rename, ftruncate', async (t) => {
  // fuse-native hides an open victim by a rename before its unlink (libfuse 2.9 without
  // hard_remove): that hiding must be refused as the unlink is, before anything goes.
  const py = [
    'import json, os, sys',
    'm = sys.argv[1]',
    'P = lambda *n: os.path.join(m, *n)',
    ...PY_RESULT,
    'held = [os.open(P("u"), os.O_RDONLY), os.open(P("da", "k"), os.O_RDONLY), os.open(P("di", "k"), os.O_RDONLY)]',
    'out = {}',
    'out["unlink open immutable"] = res(lambda: os.unlink(P("u")))',
    'out["rename over open immutable"] = res(lambda: os.rename(P("x"), P("u")))',
    'out["rename over open, append-only dir"] = res(lambda: os.rename(P("da", "j"), P("da", "k")))',
    'out["rename into immutable dir over open"] = res(lambda: os.rename(P("x"), P("di", "k")))',
    'fd = os.open(P("ua"), os.O_WRONLY | os.O_APPEND)',
    'out["ftruncate append-only"] = res(lambda: os.ftruncate(fd, 0))',
    'os.close(fd)',
    'for f in held: os.close(f)',
    'out["left"] = sorted(os.path.relpath(os.path.join(r, n), m) for r, ds, fs in os.walk(m) for n in ds + fs)',
    'out["ua size"] = os.stat(P("ua")).st_size',
    'print(json.dumps(out))',
  ].join('\n');
  const fill = (d: LayerDirs) => {
    for (const [name, prot] of [['u', 'i'], ['ua', 'a'], ['x', null]] as const) {
      writeFileSync(join(d.upper, name), 'data');
      if (prot) setXattr(join(d.upper, name), 'trusted.overlay.protattr', prot);
    }
    for (const [dir, prot] of [['da', 'a'], ['di', 'i']] as const) {
      mkdirSync(join(d.upper, dir));
      for (const n of ['j', 'k']) writeFileSync(join(d.upper, dir, n), n);
      setXattr(join(d.upper, dir), 'trusted.overlay.protattr', prot);
    }
  };
  const seen = await onEach(t, ['kernel', 'dev', 'fuse-native'], fill, python(py));
  t.same(seen.dev, seen.kernel, 'the /dev/fuse transport');
  t.same(seen['fuse-native'], seen.kernel, 'fuse-native');
  t.equal((seen.kernel as Record<string, string>)['unlink open immutable'], 'Operation not permitted');
});
