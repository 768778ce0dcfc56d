// A file whose name is gone, reached through /proc/self/fd of an open it still has, next to kernel
// overlayfs: opened again (read-only and for writing), its xattrs read and listed (an ACL read
// included, which the kernel's own permission checks send since POSIX_ACL), for an unlinked upper
// file, an O_TMPFILE file and a whited-out lower file (which cannot be opened for writing: EEXIST
// on the kernel, whose copy-up meets the whiteout). The script runs in a child killed after 20 s.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t, { type Test } from 'tap';
import { mountOverlay, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, startFuse } from '../helpers/fuse.js';
import { kernelOptions, layerDirs } from '../helpers/layers.js';

const SCRIPT = `
import os, sys
m = sys.argv[1]
def t(label, f):
    try: print(label, f())
    except OSError as e: print(label, 'ERR', e.strerror)
def reopen(fd, flags): return os.open('/proc/self/fd/%d' % fd, flags)
fd = os.open(m + '/f', os.O_RDWR | os.O_CREAT, 0o644); os.write(fd, b'hello'); os.setxattr(fd, 'user.k', b'v')
os.unlink(m + '/f')
t('reopen ro', lambda: os.read(reopen(fd, os.O_RDONLY), 10))
t('reopen rw', lambda: os.write(reopen(fd, os.O_RDWR), b'J'))
t('read back', lambda: os.pread(fd, 10, 0))
t('fgetxattr', lambda: os.getxattr(fd, 'user.k'))
t('flistxattr', lambda: sorted(os.listxattr(fd)))
t('fgetxattr acl', lambda: os.getxattr(fd, 'system.posix_acl_access'))
tf = os.open(m, os.O_TMPFILE | os.O_RDWR, 0o600); os.write(tf, b'tmp')
t('tmpfile reopen', lambda: os.read(reopen(tf, os.O_RDONLY), 10))
t('tmpfile fgetxattr', lambda: os.getxattr(tf, 'user.none'))
lf = os.open(m + '/lf', os.O_RDONLY); os.unlink(m + '/lf')
t('lower reopen ro', lambda: os.read(reopen(lf, os.O_RDONLY), 10))
t('lower reopen rw', lambda: reopen(lf, os.O_RDWR))
`;

async function run(t: Test, kind: 'kernel' | 'fuse'): Promise<string> {
  const d = layerDirs(t, 1, `ovlkit-unlinked-${kind}-`);
  writeFileSync(join(d.lowers[0]!, 'lf'), 'lower\n');
  if (kind === 'kernel') mountOverlay(kernelOptions(d), d.merged);
  else await startFuse(t, fuseOptions(d), d.merged);
  const r = await execa('python3', ['-c', SCRIPT, d.merged], { reject: false, timeout: 20_000, killSignal: 'SIGKILL', all: true });
  await umountSurely(d.merged);
  return r.timedOut ? 'timed out' : `${r.all}${r.exitCode !== 0 ? `\nexit ${r.exitCode}` : ''}`;
}

t.test('a file whose name is gone is opened again and read as under the kernel overlay', async (t) => {
  const kernel = await run(t, 'kernel');
  t.match(kernel, /reopen rw 1\n/, 'the kernel opens it again for writing');
  t.match(kernel, /tmpfile reopen b'tmp'/);
  t.equal(await run(t, 'fuse'), kernel);
});
