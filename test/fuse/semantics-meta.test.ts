// ovl-fuse next to kernel overlayfs: metadata copy-up (chmod, chown, utimes incl. mtime-only and
// UTIME_OMIT, truncate, user xattrs), hiding and escaping of the overlay's own xattrs, and an
// fd opened read-only before another process copies the file up.
import { appendFileSync, chmodSync, chownSync, closeSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, truncateSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { OverlayXattrs } from '../../src/format/index.js';
import { getXattr, listXattrs, removeXattr, setTimes, setXattr } from '../../src/sys/index.js';
import { outcome } from '../helpers/tree.js';
import { type Scenario, sameOnBoth } from '../helpers/twin.js';

const trusted = new OverlayXattrs(false);

const same = (name: string, s: Scenario) => sameOnBoth(t, name, s);

await same('09 metadata copy-up and overlay xattrs through the mount', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    for (const n of ['a', 'b', 'c', 'd', 'e', 'm', 'o']) writeFileSync(join(l1, n), n);
    setXattr(join(l1, 'e'), 'user.keep', 'k');
    setXattr(join(l1, 'e'), 'user.drop', 'd');
    utimesSync(join(l1, 'm'), 1000, 2000);
    utimesSync(join(l1, 'o'), 3000, 4000);
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    chmodSync(join(m, 'a'), 0o751);
    chownSync(join(m, 'b'), 42, 43);
    utimesSync(join(m, 'c'), new Date('2007-01-02T03:04:05.678Z'), new Date('2007-01-02T03:04:05.678Z'));
    execFileSync('touch', ['-m', '-d', '2005-06-07 08:09:10.123456789', join(m, 'm')]);
    setTimes(join(m, 'o'), { sec: 5000, nsec: 5 }, 'omit');
    setXattr(join(m, 'd'), 'user.new', 'v');
    removeXattr(join(m, 'e'), 'user.drop');
    o.times = ['c', 'm', 'o'].map((n) => [statSync(join(m, n)).atimeMs, statSync(join(m, n)).mtimeMs]);
    o.mtimeNs = lstatSync(join(m, 'm'), { bigint: true }).mtimeNs.toString();
    o.setOverlayX = outcome(() => setXattr(join(m, 'a'), trusted.name('opaque'), 'y'));
    o.getOverlayX = getXattr(join(m, 'a'), trusted.name('opaque'))?.toString();
    o.getOrigin = outcome(() => {
      if (getXattr(join(m, 'b'), trusted.name('origin')) !== null) throw new Error('origin visible');
    });
    o.list = listXattrs(join(m, 'a')).sort();
    truncateSync(join(m, 'e'), 20);
    o.sizes = ['a', 'e'].map((n) => statSync(join(m, n)).size);
    return o;
  },
});

await same('07 an fd opened read-only before a copy-up reads the new data', {
  lowers: 1,
  setup(d) {
    writeFileSync(join(d.lowers[0]!, 'f'), 'old-data');
    writeFileSync(join(d.lowers[0]!, 't'), 'TTTT');
  },
  steps(m) {
    const fd = openSync(join(m, 'f'), 'r');
    const buf = Buffer.alloc(32);
    const first = buf.toString('utf8', 0, readSync(fd, buf, 0, 32, 0));
    // Another process copies the file up and rewrites it.
    execFileSync('sh', ['-c', `printf NEWDATA-longer > ${join(m, 'f')}`]);
    const after = buf.toString('utf8', 0, readSync(fd, buf, 0, 32, 0));
    closeSync(fd);
    const tfd = openSync(join(m, 't'), 'r');
    execFileSync('truncate', ['-s', '1', join(m, 't')]);
    const truncated = buf.toString('utf8', 0, readSync(tfd, buf, 0, 32, 0));
    closeSync(tfd);
    return { first, after, truncated };
  },
});

await same('an open file stays usable after unlink (lower and new files)', {
  lowers: 1,
  setup(d) {
    writeFileSync(join(d.lowers[0]!, 'f'), 'lowerdata');
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    for (const [name, flags] of [['f', 'r+'], ['g', 'w+']] as const) {
      const fd = openSync(join(m, name), flags);
      unlinkSync(join(m, name));
      writeSync(fd, 'NEW', 0);
      const buf = Buffer.alloc(32);
      const st = fstatSync(fd);
      o[name] = [buf.toString('utf8', 0, readSync(fd, buf, 0, 32, 0)), st.size, st.nlink, readdirSync(m)];
      closeSync(fd);
    }
    o.after = readdirSync(m);
    return o;
  },
});

await same('an open file in a renamed dir, then unlinked, still answers fstat', {
  lowers: 1,
  setup(d) {
    mkdirSync(join(d.upper, 'dir'));
    writeFileSync(join(d.upper, 'dir', 'f'), 'data');
  },
  steps(m) {
    const fd = openSync(join(m, 'dir', 'f'), 'r');
    renameSync(join(m, 'dir'), join(m, 'dir2'));
    unlinkSync(join(m, 'dir2', 'f'));
    const st = fstatSync(fd);
    closeSync(fd);
    return { size: st.size, nlink: st.nlink, dir2: readdirSync(join(m, 'dir2')) };
  },
});

await same('listing, reading and copying up never stamp a lower atime', {
  lowers: 1,
  setup(d) {
    const l1 = d.lowers[0]!;
    mkdirSync(join(l1, 'dir'));
    for (const n of ['dir/a', 'dir/b', 'c']) writeFileSync(join(l1, n), n);
    // atime older than mtime: any plain access under relatime would update it.
    for (const n of ['dir', 'dir/a', 'dir/b', 'c']) utimesSync(join(l1, n), 1000, 2_000_000_000);
    utimesSync(l1, 1000, 2_000_000_000);
  },
  steps(m, d) {
    const l1 = d.lowers[0]!;
    readdirSync(m);
    readdirSync(join(m, 'dir'));
    readFileSync(join(m, 'dir', 'a'));
    appendFileSync(join(m, 'dir', 'b'), '+');
    appendFileSync(join(m, 'c'), '+');
    return { lowerAtimes: ['.', 'dir', 'dir/a', 'dir/b', 'c'].map((n) => statSync(join(l1, n)).atimeMs) };
  },
});

await same('removing an xattr a lower object lacks is ENODATA and copies nothing up', {
  lowers: 1,
  setup(d) {
    writeFileSync(join(d.lowers[0]!, 'b'), '');
    writeFileSync(join(d.lowers[0]!, 'c'), '');
    setXattr(join(d.lowers[0]!, 'c'), 'user.a', '1');
  },
  steps(m, d) {
    return {
      missing: outcome(() => removeXattr(join(m, 'b'), 'user.a')),
      present: outcome(() => removeXattr(join(m, 'c'), 'user.a')),
      upper: readdirSync(d.upper).sort(),
    };
  },
});

for (const options of [undefined, 'redirect_dir=on']) {
  await same(`mkdir in a merged dir is opaque only when offline changes are off (${options ?? 'defaults'})`, {
    lowers: 1,
    options,
    setup(d) {
      mkdirSync(join(d.lowers[0]!, 'md'));
      mkdirSync(join(d.upper, 'md'));
    },
    steps(m, d) {
      mkdirSync(join(m, 'md', 'new'));
      mkdirSync(join(m, 'top'));
      return {
        merged: getXattr(join(d.upper, 'md', 'new'), trusted.name('opaque'))?.toString() ?? null,
        pureUpperParent: getXattr(join(d.upper, 'top'), trusted.name('opaque'))?.toString() ?? null,
      };
    },
  });
}
