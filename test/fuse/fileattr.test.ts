// lsattr through ovl-fuse next to kernel overlayfs on the very same layer dirs: the flags of the
// object's real copy (a lower file's own, an upper's), plus the append-only and immutable flags an
// upper keeps in its `protattr` xattr (a malformed value gives none), for files and dirs.
// chattr through ovl-fuse is refused and changes nothing (docs/fuse.md, "lsattr and chattr").
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setXattr } from '../../src/sys/index.js';
import { layerDirs, mountKernel } from '../helpers/layers.js';
import { remountAs } from '../helpers/twin.js';

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

  const r = spawnSync('chattr', ['+d', join(d.merged, 'plain')], { encoding: 'utf8' });
  t.not(r.status, 0, 'chattr through ovl-fuse is refused');
  t.notOk(existsSync(join(d.upper, 'plain')), 'nothing copied up');
  t.same(observe(d.merged), fuse, 'no flag changed');
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
  const seen: Record<string, unknown> = {};
  for (const target of ['kernel', 'fuse'] as const) {
    const d = layerDirs(t, 1, 'ovlkit-fileattr-');
    writeFileSync(join(d.lowers[0]!, 'lowerfile'), 'x');
    execFileSync('chattr', ['+A', join(d.lowers[0]!, 'lowerfile')]);
    if (target === 'kernel') mountKernel(d);
    else await remountAs(t, 'fuse', d);
    seen[target] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, d.merged], { encoding: 'utf8' }));
  }
  t.same(seen.fuse, seen.kernel);
  t.ok(((seen.kernel as { unlinked: number }).unlinked & 0x80) !== 0, 'the lower file’s noatime flag, read through the held fd');
});
