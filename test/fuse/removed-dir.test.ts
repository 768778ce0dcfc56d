// A dir removed while a process still holds it (its cwd, an open dir fd), side by side with the
// kernel's overlay: it still stats (a lower or merged dir's link count as before, a dir only in the
// upper 0), lists empty, takes no new name (ENOENT), and a chmod, chown or utimes through it
// changes the upper inode the overlay holds (seen through the same fd), or, for a dir that had no
// upper copy, is ENOTDIR (its copy-up meets the whiteout). ovl-fuse answered ENOENT to all of it
// before 2026-12-07 (found checking a review's report): `ls` in a removed cwd failed.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, futimesSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getXattr, listXattrs, setXattr } from '../../src/sys/index.js';
import { outcome } from '../helpers/tree.js';
import { sameOnBoth } from '../helpers/twin.js';

/** What a stat through `fd` shows (or its errno). */
function statOf(fd: number): unknown {
  let out: unknown;
  const code = outcome(() => {
    const s = fstatSync(fd);
    out = [s.mode.toString(8), s.nlink, s.uid, s.gid, Math.floor(s.mtimeMs) === 1000];
  });
  return code === 'ok' ? out : code;
}

/** The names listed through `fd` (or the errno). */
function listOf(fd: number): unknown {
  let out: unknown;
  const code = outcome(() => (out = readdirSync(`/proc/self/fd/${fd}`)));
  return code === 'ok' ? out : code;
}

/** A child that leaves root for nobody in the dir, which the parent then removes; it stats and opens `..` and goes there. */
const NOBODY = `
import os, sys
p = sys.argv[1]
r, w = os.pipe()
r2, w2 = os.pipe()
pid = os.fork()
if pid == 0:
    os.chdir(p); os.setgid(65534); os.setuid(65534)
    os.write(w, b'x'); os.read(r2, 1)
    out = []
    for label, f in [('stat', lambda: os.stat('..').st_mode & 0o170000 == 0o040000), ('open', lambda: os.close(os.open('..', os.O_RDONLY))), ('chdir', lambda: os.chdir('..'))]:
        try: f(); out.append(label + ' ok')
        except OSError as e: out.append(label + ' ' + e.strerror)
    print(', '.join(out)); sys.stdout.flush(); os._exit(0)
os.read(r, 1); os.rmdir(p); os.write(w2, b'x'); os.waitpid(pid, 0)
`;

await sameOnBoth(t, 'a dir removed while held: stat, listing, a new name and changes through its fd', {
  lowers: 1,
  setup(d) {
    for (const dir of ['lowdir', 'mergeddir', 'low2', 'low3', 'low4']) mkdirSync(join(d.lowers[0]!, dir));
    writeFileSync(join(d.lowers[0]!, 'mergeddir/gone'), 'x');
    setXattr(join(d.lowers[0]!, 'lowdir'), 'user.lower', 'kept');
  },
  steps(m) {
    const o: Record<string, unknown> = {};
    mkdirSync(join(m, 'updir'));
    for (const name of ['lowdir', 'updir', 'mergeddir']) {
      const p = join(m, name);
      const fd = openSync(p, constants.O_RDONLY | constants.O_DIRECTORY);
      // mergeddir gets an upper copy holding a whiteout: its one lower file removed.
      if (name === 'mergeddir') unlinkSync(join(p, 'gone'));
      rmdirSync(p);
      o[name] = {
        stat: statOf(fd),
        size: outcome(() => fstatSync(fd)) === 'ok' ? fstatSync(fd).size === 0 : 'error',
        list: listOf(fd),
        xattrs: outcome(() => listXattrs(fd)) === 'ok' ? listXattrs(fd) : outcome(() => listXattrs(fd)),
        setXattr: outcome(() => setXattr(fd, 'user.a', 'v')),
        getXattr: outcome(() => getXattr(fd, 'user.a')) === 'ok' ? (getXattr(fd, 'user.a')?.toString() ?? null) : outcome(() => getXattr(fd, 'user.a')),
        newName: outcome(() => writeFileSync(`/proc/self/fd/${fd}/x`, 'x')),
        chmod: outcome(() => fchmodSync(fd, 0o700)),
        chown: outcome(() => fchownSync(fd, 1, 2)),
        utimes: outcome(() => futimesSync(fd, 1, 1)),
        after: statOf(fd),
      };
      closeSync(fd);
    }
    // Replaced by a rename, as rmdir removes it.
    mkdirSync(join(m, 'a'));
    const b = openSync(join(m, 'low2'), constants.O_RDONLY | constants.O_DIRECTORY);
    o.renameOver = outcome(() => renameSync(join(m, 'a'), join(m, 'low2')));
    o.replaced = [statOf(b), listOf(b)];
    closeSync(b);
    // The link count a statx without ctime gets (the FUSE client's cache after its RMDIR).
    o.statxNlink = execFileSync('sh', ['-c', 'exec 3<"$1"; rmdir "$1"; stat -L -c %h /dev/fd/3', 'sh', join(m, 'low3')], { encoding: 'utf8' });
    // A user whose cwd was removed reaches `..` (the FUSE client's permission check reads its ACL).
    o.nobody = execFileSync('python3', ['-c', NOBODY, join(m, 'low4')], { encoding: 'utf8' });
    return o;
  },
});
