// xattrs of a file whose name is gone, side by side with the kernel: an unlinked open upper file,
// and an O_TMPFILE before it is linked in (set security or user attributes, then linkat: a common
// way to publish a file whole). The kernel's overlay changes the upper inode it holds; ovl-fuse
// looked the node's path up and answered ENOENT (found 2026-12-07 beside a review's report).
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, mkdirSync, openSync, rmdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, removeXattrOf, setXattr } from '../../src/sys/index.js';
import { setFileattrOf } from '../../src/sys/fileattr.js';
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

// A lower file open read-only when its name goes: a change through the fd makes the kernel's
// overlay copy it up, and the copy's link meets whatever holds the name now (the whiteout, a new
// file): EEXIST, and nothing else changed; ENOENT once its dir is gone too. ovl-fuse answered
// ENOENT for both (found by a review 2026-12-07; fixed the same day).
await sameOnBoth(t, 'changes through the fd of a lower file whose name is gone: EEXIST while its dir stands', {
  lowers: 1,
  setup(d) {
    const l = d.lowers[0]!;
    for (const dir of ['d', 'e', 'k']) mkdirSync(join(l, dir));
    for (const f of ['d/f', 'd/g', 'e/h', 'k/i']) {
      writeFileSync(join(l, f), f);
      setXattr(join(l, f), 'user.lower', 'kept');
    }
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    const changes = (fd: number) => ({
      chmod: outcome(() => fchmodSync(fd, 0o600)),
      chown: outcome(() => fchownSync(fd, 1, 1)),
      utimes: outcome(() => futimesSync(fd, 1, 1)),
      setxattr: outcome(() => setXattr(fd, 'user.a', 'x')),
      removexattr: outcome(() => removeXattrOf(fd, 'user.a')),
      removeLowerXattr: outcome(() => removeXattrOf(fd, 'user.lower')),
      chattr: outcome(() => setFileattrOf(fd, 'flags', Buffer.from([0, 0, 0, 0]), 'fd')),
    });
    const f = openSync(join(m, 'd/f'), constants.O_RDONLY);
    unlinkSync(join(m, 'd/f'));
    o.unlinked = changes(f);
    // A new file at the name: never the one changed.
    const g = openSync(join(m, 'd/g'), constants.O_RDONLY);
    unlinkSync(join(m, 'd/g'));
    writeFileSync(join(m, 'd/g'), 'new');
    o.replaced = changes(g);
    o.newFile = ((s) => [s.mode.toString(8), s.uid, s.mtimeMs > 1000])(statSync(join(m, 'd/g')));
    const h = openSync(join(m, 'e/h'), constants.O_RDONLY);
    unlinkSync(join(m, 'e/h'));
    rmdirSync(join(m, 'e'));
    o.dirGone = changes(h);
    // Its dir removed and a new one made at the path: the kernel's dentry of the old one is dead.
    const i = openSync(join(m, 'k/i'), constants.O_RDONLY);
    unlinkSync(join(m, 'k/i'));
    rmdirSync(join(m, 'k'));
    mkdirSync(join(m, 'k'));
    o.dirReplaced = changes(i);
    for (const fd of [f, g, h, i]) closeSync(fd);
    return o;
  },
});
