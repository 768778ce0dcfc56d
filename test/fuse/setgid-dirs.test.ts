// Set-group-ID dirs whose mode, group or ACL changes through the mount, then new objects in them:
// a new object takes the dir's group only while the dir is set-group-ID now, not as it was when
// first looked up. ovl-fuse decided that from the stat of its first lookup, which it keeps for a
// dir: after a chmod cleared the bit, root's new file in the dir still got the dir's group (found
// by ovl-check's access suite, seed 10). Kernel overlayfs and ovl-fuse side by side, both
// transports; an ACL set by an owner outside the dir's group clears the bit (ovl_set_or_remove_acl).
import { chmodSync, chownSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { aclFromText } from '../../src/format/index.js';
import { setXattr } from '../../src/sys/index.js';
import { sameOnBoth } from '../helpers/twin.js';

const DIRS = ['mode', 'group', 'acl-member', 'acl-outsider', 'lower'];

/** Run `fn` as uid 1000 with only group `gid` (effective ids: the FUSE request carries them; no capabilities). */
function asUser<T>(gid: number, fn: () => T): T {
  const groups = process.getgroups!();
  process.setgroups!([gid]);
  process.setegid!(gid);
  process.seteuid!(1000);
  try {
    return fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
    process.setgroups!(groups);
  }
}

for (const fuseOptions of ['', 'transport=fuse-native']) {
  await sameOnBoth(t, `a dir's group and set-group-ID bit as they are now decide a new object's${fuseOptions ? ` (${fuseOptions})` : ''}`, {
    lowers: 1,
    fuseOptions,
    setup(d) {
      // uid 1000 reaches the mount through these.
      for (const p of [d.root, d.merged]) chmodSync(p, 0o755);
      for (const name of DIRS) {
        const p = join(name === 'lower' ? d.lowers[0]! : d.upper, name);
        mkdirSync(p);
        chownSync(p, 1000, 1000);
        chmodSync(p, 0o2775);
      }
    },
    steps(m) {
      const o: Record<string, unknown> = {};
      // Every dir looked up and used first, so a cached lookup is what the changes meet.
      for (const name of DIRS) writeFileSync(join(m, name, 'before'), '');
      chmodSync(join(m, 'mode'), 0o775);
      chownSync(join(m, 'group'), 1000, 2000);
      asUser(1000, () => setXattr(join(m, 'acl-member'), 'system.posix_acl_access', aclFromText('u::rwx,u:1000:rwx,g::rwx,m::rwx,o::r-x')));
      asUser(3000, () => setXattr(join(m, 'acl-outsider'), 'system.posix_acl_access', aclFromText('u::rwx,u:0:rwx,g::rwx,m::rwx,o::r-x')));
      chmodSync(join(m, 'lower'), 0o775);
      for (const name of DIRS) {
        writeFileSync(join(m, name, 'after'), '');
        mkdirSync(join(m, name, 'sub'));
        for (const e of ['.', 'after', 'sub']) {
          const s = statSync(join(m, name, e));
          o[`${name}/${e}`] = `${s.mode.toString(8)} ${s.uid}:${s.gid}`;
        }
      }
      o.names = readdirSync(m).sort();
      return o;
    },
  });
}
