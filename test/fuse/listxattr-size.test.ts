// listxattr(2)'s buffer through the mount, as the kernel's overlay sizes it: ovl_listxattr lists
// the real object into the caller's buffer before it drops the overlay's own names, so a size-0
// probe answers the real list's size (hidden names included) and a buffer smaller than that is
// ERANGE even where the shown names would fit. Kernel overlayfs and ovl-fuse side by side on the
// same layers; found by differential fsstress (docs/testing.md).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { setXattr } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

/** For each path: the probe's answer, then what each buffer size gets (a length or an errno name). */
function sizes(paths: string[]): unknown {
  const py = [
    'import ctypes, errno, json, sys',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'def one(p):',
    '    n = libc.llistxattr(p.encode(), None, 0)',
    '    got = {"probe": n}',
    '    for size in sorted({s for s in (1, 8, 9, n - 1, n, n + 8) if s > 0}):',
    '        buf = ctypes.create_string_buffer(max(size, 1))',
    '        r = libc.llistxattr(p.encode(), buf, size)',
    '        got[str(size)] = r if r >= 0 else errno.errorcode[ctypes.get_errno()]',
    '    return got',
    'print(json.dumps([one(p) for p in sys.argv[1:]]))',
  ].join('\n');
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py, ...paths], { encoding: 'utf8' }));
}

await sameOnBoth(t, 'the probe answers the real list size; a smaller buffer is ERANGE', {
  lowers: 1,
  setup(d) {
    mkdirSync(join(d.upper, 'opaque'));
    setXattr(join(d.upper, 'opaque'), 'trusted.overlay.opaque', 'y');
    setXattr(join(d.upper, 'opaque'), 'user.x2', 'v');
    writeFileSync(join(d.lowers[0]!, 'f'), 'x');
    setXattr(join(d.lowers[0]!, 'f'), 'user.a', '1');
    writeFileSync(join(d.upper, 'plain'), 'p');
  },
  steps(m) {
    writeFileSync(join(m, 'f'), 'copied up: the upper copy gets origin beside user.a');
    return { sizes: sizes(['opaque', 'f', 'plain'].map((n) => join(m, n))) };
  },
});
