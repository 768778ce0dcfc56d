// An upper in a user namespace without `userxattr` (what rootless podman hands a mount program):
// trusted.* xattrs cannot be set there (EPERM). A review saw ovl-fuse mount, then every copy-up
// fail EPERM and leave a half-made upper copy that later ops met as EEXIST. It is now refused at
// mount, one line naming the upper and `-o userxattr`, exit 2, nothing made; with `userxattr` it
// mounts and copies up.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { fuseOptions, ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

/** `sh -c script` as root of a new user and mount namespace (the caller mapped to root): its mounts go with it. */
const inUserns = (script: string, args: string[]) =>
  execa('unshare', ['-Urm', 'sh', '-c', script, 'sh', ...args], { reject: false, env: { CI: '', OVL_FUSE_NODE: process.execPath } });

t.test('trusted.* xattrs refused in a user namespace: ovl-fuse refuses the mount and names -o userxattr', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  const r = await inUserns('"$1" -o "$2" "$3"', [ovlFuseBin, fuseOptions(d), d.merged]);
  t.equal(r.exitCode, 2, r.stderr);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.match(r.stderr, `ovl-fuse: upperdir ${d.upper}: trusted.overlay.* xattrs cannot be set there (EPERM`);
  t.match(r.stderr, 'mount with -o userxattr');
  t.notOk(existsSync(join(d.work, 'work')), 'nothing made in the workdir');
  t.notOk(existsSync(join(d.upper, 'f')), 'nothing in the upper');

  const ok = await inUserns('"$1" -o "$2" "$3" && echo more >> "$3/f" && cat "$3/f" && umount "$3"', [ovlFuseBin, fuseOptions(d, 'userxattr'), d.merged]);
  t.equal(ok.exitCode, 0, ok.stderr);
  t.equal(ok.stdout, 'lowermore');
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'lowermore\n', 'with userxattr the copy-up is whole');
});
