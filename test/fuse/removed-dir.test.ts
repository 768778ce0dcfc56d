// A dir removed while a process still holds it (its cwd, an open dir fd), side by side with the
// kernel's overlay: it still stats (a lower or merged dir's link count as before, a dir only in the
// upper 0), lists empty, takes no new name (ENOENT), and a chmod, chown or utimes through it
// changes the upper inode the overlay holds (seen through the same fd), or, for a dir that had no
// upper copy, is ENOTDIR (its copy-up meets the whiteout). ovl-fuse answered ENOENT to all of it
// before 2026-12-07 (found checking a review's report): `ls` in a removed cwd failed.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, futimesSync, mkdirSync, openSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
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

await sameOnBoth(t, 'a dir removed while held: stat, listing, a new name and changes through its fd', {
  lowers: 1,
  setup(d) {
    for (const dir of ['lowdir', 'mergeddir']) mkdirSync(join(d.lowers[0]!, dir));
    writeFileSync(join(d.lowers[0]!, 'mergeddir/gone'), 'x');
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
        list: listOf(fd),
        newName: outcome(() => writeFileSync(`/proc/self/fd/${fd}/x`, 'x')),
        chmod: outcome(() => fchmodSync(fd, 0o700)),
        chown: outcome(() => fchownSync(fd, 1, 2)),
        utimes: outcome(() => futimesSync(fd, 1, 1)),
        after: statOf(fd),
      };
      closeSync(fd);
    }
    return o;
  },
});
