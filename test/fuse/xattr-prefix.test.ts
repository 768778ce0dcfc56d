// Names at the edge of the overlay's private xattr prefix, set, read and removed through the
// mount, side by side with the kernel. The bare prefix (`trusted.overlay.`, `user.overlay.` with
// userxattr) is EINVAL on the kernel's overlay (the VFS gives it to the overlay's own prefix
// handler with nothing after it); ovl-fuse stored it escaped as `trusted.overlay.overlay.` until a
// review (2026-12-07) found it. Names around it pass through or are escaped as the kernel does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, listXattrs, removeXattr, setXattr } from '../../src/sys/index.js';
import { attempt, done, onEach, sameAsKernel } from '../helpers/side-by-side.js';

const NAMES = {
  trusted: ['trusted.overlay.', 'trusted.overlay', 'trusted.overlayx', 'trusted.overlay.x', 'trusted.overlay.overlay.', 'user.overlay.'],
  userxattr: ['user.overlay.', 'user.overlay', 'user.overlay.x', 'user.overlay.overlay.', 'trusted.overlay.'],
};

for (const [mode, names] of Object.entries(NAMES)) {
  t.test(`xattr names around the private prefix (${mode})`, async (t) => {
    const runs = await onEach(t, `xprefix-${mode}`, {
      options: mode === 'userxattr' ? 'userxattr' : undefined,
      fill: (d) => {
        mkdirSync(join(d.lowers[0]!, 'd'));
        writeFileSync(join(d.lowers[0]!, 'd', 'f'), 'x');
      },
      run: (d) => {
        const f = join(d.merged, 'd', 'f');
        const seen: Record<string, unknown> = {};
        for (const name of names) {
          seen[name] = {
            set: done(() => setXattr(f, name, 'v')),
            get: attempt(() => getXattr(f, name)?.toString() ?? null),
          };
        }
        seen.list = listXattrs(f).sort();
        for (const name of names) seen[`remove ${name}`] = done(() => removeXattr(f, name));
        return seen;
      },
    }, 'ovlkit-xprefix');
    sameAsKernel(t, runs);
  });
}
