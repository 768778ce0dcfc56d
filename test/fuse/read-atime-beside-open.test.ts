// A read of a copied-up file through a new open while an open of its lower copy is still held.
// The held open keeps the FUSE inode in cached io mode, so the new open cannot pass through, and a
// cached open's read of pages the client holds, or at the size it knows (an empty file), never
// reached the daemon: the upper file's atime stayed where the kernel's overlay, which reads the
// upper file on every read(2), stamps it (relatime: the copy-up's chown made ctime > atime).
// Found by ovl-check observe, seed 302 (an empty file mapped, chown -1 -1, read). Also checked: a
// MAP_SHARED mapping of such an open works (FOPEN_DIRECT_IO needs FUSE_DIRECT_IO_ALLOW_MMAP), and
// once the lower open is gone a new open works and reads the data. Kernel overlayfs and ovl-fuse
// side by side.
import { chownSync, closeSync, constants, lstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { mapShared, setTimes, timeFromNs } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

const OLD_S = 1_000_000_000;
const OLD = timeFromNs(BigInt(OLD_S) * 1_000_000_000n);
const atimeMoved = (p: string) => lstatSync(p).atimeMs > OLD_S * 1000;

await sameOnBoth(t, 'a read through a new open beside a held lower open stamps the copied-up file\'s atime', {
  lowers: 1,
  setup(d) {
    writeFileSync(join(d.lowers[0]!, 'empty'), '');
    writeFileSync(join(d.lowers[0]!, 'data'), 'a'.repeat(100));
    for (const name of ['empty', 'data']) setTimes(join(d.lowers[0]!, name), OLD, OLD);
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    for (const name of ['empty', 'data']) {
      const f = join(m, name);
      // Held on the lower copy, and read through: the client then holds the data's pages.
      const held = openSync(f, constants.O_RDONLY);
      readSync(held, Buffer.alloc(200), 0, 200, 0);
      chownSync(f, -1, -1); // copy-up; ctime now after atime
      o[`${name}: atime moved by the copy-up`] = atimeMoved(f);
      o[`${name}: read`] = readFileSync(f, 'latin1');
      o[`${name}: atime moved by a read through a new open`] = atimeMoved(f);
      let map: ReturnType<typeof mapShared> | undefined;
      let fd: number | undefined;
      if (name === 'data') {
        // Times set back (ctime moves): a read is due to stamp again, so ovl-fuse serves this open
        // itself (FOPEN_DIRECT_IO), and a shared mapping of it must work as on the kernel.
        setTimes(f, OLD, OLD);
        fd = openSync(f, constants.O_RDWR);
        map = mapShared(fd, 100, true, f);
        map.mem().set(Buffer.from('b'), 0);
        o[`${name}: read through a shared mapping of a new open`] = Buffer.from(map.mem().subarray(0, 2)).toString('latin1');
      }
      closeSync(held);
      // The lower open is gone, the mapping (if any) still held: a new open works and sees its stores.
      o[`${name}: read once the lower open is gone`] = readFileSync(f, 'latin1');
      map?.unmap();
      if (fd !== undefined) closeSync(fd);
      o[`${name}: read once all is closed`] = readFileSync(f, 'latin1').slice(0, 3);
    }
    return o;
  },
});
