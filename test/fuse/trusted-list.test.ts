// trusted.* names in listxattr(2) through the mount: only a caller with CAP_SYS_ADMIN sees them
// (the kernel's overlay: ovl_can_list), a user does not, nor does root without the capability (a
// container's). The kernel's FUSE client passes a daemon's list on unfiltered, so the daemon
// filters; it listed them to everyone (found by ovl-check with ops as uid 1000). Kernel overlayfs
// and ovl-fuse side by side, both transports; each caller is a python3 run under setpriv.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setXattr } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

/** listxattr(2) of each of `files` as the caller setpriv's `args` make (python3's os.listxattr: the names alone). */
function listedBy(args: string[], files: string[]): string[][] {
  const py = 'import os, sys, json; print(json.dumps([sorted(os.listxattr(f, follow_symlinks=False)) for f in sys.argv[1:]]))';
  return JSON.parse(execFileSync('setpriv', [...args, '/usr/bin/python3', '-c', py, ...files], { encoding: 'utf8' })) as string[][];
}

const CALLERS: Record<string, string[]> = {
  root: [],
  'uid 1000': ['--reuid=1000', '--regid=1000', '--clear-groups'],
  'root without CAP_SYS_ADMIN': ['--bounding-set=-sys_admin'],
};

for (const fuseOptions of ['', 'transport=fuse-native']) {
  await sameOnBoth(t, `trusted.* names are listed to CAP_SYS_ADMIN alone${fuseOptions ? ` (${fuseOptions})` : ''}`, {
    lowers: 1,
    fuseOptions,
    setup(d) {
      for (const p of [d.root, d.merged]) chmodSync(p, 0o755);
      const f = join(d.lowers[0]!, 'f');
      writeFileSync(f, 'x');
      chmodSync(f, 0o644);
      setXattr(f, 'trusted.foo', '1');
      setXattr(f, 'user.a', '1');
      writeFileSync(join(d.upper, 'g'), 'y');
    },
    steps(m) {
      // Escaped into trusted.overlay.overlay.x in the upper, listed back as trusted.overlay.x.
      setXattr(join(m, 'g'), 'trusted.overlay.x', '2');
      const files = ['f', 'g'].map((n) => join(m, n));
      const o: Record<string, unknown> = {};
      for (const [who, args] of Object.entries(CALLERS)) o[who] = listedBy(args, files);
      return o;
    },
  });
}
