// xattrs of a file whose name is gone, side by side with the kernel: an unlinked open upper file,
// and an O_TMPFILE before it is linked in (set security or user attributes, then linkat: a common
// way to publish a file whole). The kernel's overlay changes the upper inode it holds; ovl-fuse
// looked the node's path up and answered ENOENT (found 2026-12-07 beside a review's report).
import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, removeXattrOf, setXattr } from '../../src/sys/index.js';
import { O_TMPFILE, linkFd } from '../../src/sys/space.js';
import { outcome } from '../helpers/tree.js';
import { sameOnBoth } from '../helpers/twin.js';

await sameOnBoth(t, 'set, read and remove xattrs through the fd of an unlinked file and of an O_TMPFILE', {
  lowers: 1,
  setup() {},
  steps(m) {
    const o: Record<string, unknown> = {};
    const fd = openSync(join(m, 'gone'), constants.O_CREAT | constants.O_RDWR | constants.O_EXCL, 0o644);
    unlinkSync(join(m, 'gone'));
    o.set = outcome(() => setXattr(fd, 'user.a', 'one'));
    o.get = getXattr(fd, 'user.a')?.toString() ?? null;
    o.create = outcome(() => setXattr(fd, 'user.a', 'two', 'create'));
    o.remove = outcome(() => removeXattrOf(fd, 'user.a'));
    o.removeAgain = outcome(() => removeXattrOf(fd, 'user.a'));
    closeSync(fd);
    const tmp = openSync(m, O_TMPFILE | constants.O_WRONLY, 0o600);
    writeSync(tmp, 'whole');
    o.tmpSet = outcome(() => setXattr(tmp, 'user.b', 'before link'));
    linkFd(tmp, join(m, 'published'));
    closeSync(tmp);
    o.published = getXattr(join(m, 'published'), 'user.b')?.toString() ?? null;
    return o;
  },
});
