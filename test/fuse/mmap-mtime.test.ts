// The mtime of an upper file after stores through a MAP_SHARED mapping of it, seen through the
// mount while the mapping is held and after it is gone. Passed through, the stores reach the upper
// file with no request to the daemon and no notice to the kernel's FUSE client, whose attributes of
// the file (from a listing before the open) went on showing the old mtime (found by ovl-check:
// observe with a listing first). Kernel overlayfs and ovl-fuse side by side.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { mapShared, setTimes, timeFromNs } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

const OLD = 1_000_000_000n;
/**
 * Whether the mtime moved, as `stat -c %Y` sees it: coreutils asks statx for the fields it prints
 * only, so the kernel's FUSE client answers from its cache unless those fields were invalidated
 * (node's lstat also asks atime and btime, which a mapping invalidates on its own).
 */
const moved = (p: string) => execFileSync('stat', ['-c', '%Y', p], { encoding: 'utf8' }).trim() !== String(OLD);

await sameOnBoth(t, 'stores through a shared mapping move the mtime seen through the mount, during and after the mapping', {
  lowers: 1,
  setup(d) {
    for (const name of ['listed/f', 'looked-up/f']) {
      mkdirSync(join(d.upper, dirname(name)));
      const f = join(d.upper, name);
      writeFileSync(f, 'a'.repeat(100));
      setTimes(f, timeFromNs(OLD * 1_000_000_000n), timeFromNs(OLD * 1_000_000_000n));
    }
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    // One file known to the kernel from a listing (READDIRPLUS), one from a lookup; both stat-ed
    // (node's lstat asks statx's btime too, so the first one always reaches the daemon).
    readdirSync(join(m, 'listed'));
    for (const name of ['listed/f', 'looked-up/f']) lstatSync(join(m, name));
    for (const name of ['listed/f', 'looked-up/f']) {
      const f = join(m, name);
      const fd = openSync(f, constants.O_RDWR);
      const map = mapShared(fd, 4096, true, f);
      map.mem().set(Buffer.from('b'), 0);
      o[`${name}: mtime moved while mapped`] = moved(f);
      map.unmap();
      closeSync(fd);
      o[`${name}: mtime moved after`] = moved(f);
    }
    return o;
  },
});
