// All names of an upper file are one inode, as under kernel overlayfs (ovl_get_inode hashes an
// upper file by its upper inode; ovl_link gives the new name the source's inode). The VFS sees it:
// rename(2) between two names of one inode returns 0 at once, before any permission check, so a
// user who may not write the dir gets 0 where two FUSE inodes got EACCES (ovl-check observe seeds
// 222 and 232). Lower hard links stay apart (index=off): there the check runs and refuses.
import { chmodSync, closeSync, fstatSync, linkSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { sameOnBoth } from '../helpers/twin.js';

/** rename(2) as uid 65534 (not the dir's owner, no write permission): '0' or the errno name. */
function renameAsNobody(dir: string, from: string, to: string): string {
  const py = 'import errno, os, sys\ntry:\n os.rename(sys.argv[1], sys.argv[2]); print(0)\nexcept OSError as e:\n print(errno.errorcode[e.errno])';
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/python3', '-c', py, join(dir, from), join(dir, to)], {
    encoding: 'utf8',
  });
  const out = r.stdout.trim();
  // Anything but a result of the rename itself (python missing, setpriv refused) is the test's fault.
  if (!/^(0|E[A-Z]+)$/.test(out)) throw new Error(`rename as uid 65534 did not run: ${out} ${r.stderr}`);
  return out;
}

const exists = (p: string): boolean => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

for (const fuseOptions of ['transport=dev', 'transport=dev,passthrough=off']) {
  await sameOnBoth(t, `rename between two names of one file, by a user who may not write the dir (${fuseOptions})`, {
    lowers: 1,
    fuseOptions,
    setup: (d) => {
      chmodSync(d.root, 0o755);
      mkdirSync(join(d.lowers[0]!, 'd'), { mode: 0o755 });
      writeFileSync(join(d.lowers[0]!, 'd', 'lo'), 'lower');
      writeFileSync(join(d.lowers[0]!, 'd', 'l1'), 'lower pair');
      linkSync(join(d.lowers[0]!, 'd', 'l1'), join(d.lowers[0]!, 'd', 'l2'));
      mkdirSync(join(d.upper, 'd'), { mode: 0o755 });
      writeFileSync(join(d.upper, 'd', 'u1'), 'upper pair');
      linkSync(join(d.upper, 'd', 'u1'), join(d.upper, 'd', 'u2'));
      writeFileSync(join(d.upper, 'd', 'up'), 'upper');
    },
    steps: (m) => {
      const d = join(m, 'd');
      const out: Record<string, unknown> = {};
      // Looked up first under both names, as a client that lists the dir would have them.
      out['same st_ino (made in the upper)'] = statSync(join(d, 'u1')).ino === statSync(join(d, 'u2')).ino;
      out['upper pair'] = renameAsNobody(d, 'u2', 'u1');
      linkSync(join(d, 'up'), join(d, 'up2'));
      out['linked through the mount from an upper file'] = renameAsNobody(d, 'up2', 'up');
      linkSync(join(d, 'lo'), join(d, 'lo2'));
      out['linked through the mount from a lower file'] = renameAsNobody(d, 'lo', 'lo2');
      out['lower pair (two inodes)'] = renameAsNobody(d, 'l2', 'l1');
      renameSync(join(d, 'u2'), join(d, 'u1'));
      out['names after all of it'] = ['u1', 'u2', 'up', 'up2', 'lo', 'lo2', 'l1', 'l2'].filter((n) => exists(join(d, n)));
      // One node, several names: an fd on one name follows the file through the other's unlink
      // and a rename of its own name.
      const fd = openSync(join(d, 'up'), 'r');
      try {
        unlinkSync(join(d, 'up2'));
        renameSync(join(d, 'up'), join(m, 'moved'));
        out['fstat after the other name went'] = fstatSync(fd).nlink;
        out['moved reads'] = statSync(join(m, 'moved')).size;
        linkSync(join(m, 'moved'), join(d, 'again'));
        out['fstat after a new link'] = fstatSync(fd).nlink;
        unlinkSync(join(m, 'moved'));
        out['the new name after the first went'] = statSync(join(d, 'again')).nlink;
      } finally {
        closeSync(fd);
      }
      return out;
    },
  });
}
