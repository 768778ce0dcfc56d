// The mount is usable by every user with the normal permission checks on the merged inode
// (allow_other + default_permissions, like the kernel overlay): a user cannot read a root 0600
// file or write where the merged mode forbids it, and what a user creates is theirs.
import { chmodSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { mountFuse } from '../helpers/fuse.js';
import { layerDirs } from '../helpers/layers.js';

const asNobody = (cmd: string) => execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', cmd], { reject: false });

t.test('normal permission checks for other users, and their files are theirs', async (t) => {
  const d = layerDirs(t, 1);
  const l1 = d.lowers[0]!;
  chmodSync(d.root, 0o755);
  writeFileSync(join(l1, 'secret'), 's');
  chmodSync(join(l1, 'secret'), 0o600);
  writeFileSync(join(l1, 'public'), 'p');
  chmodSync(join(l1, 'public'), 0o644);
  mkdirSync(join(l1, 'tmp'));
  chmodSync(join(l1, 'tmp'), 0o1777);
  await mountFuse(t, d);
  const m = d.merged;
  const read = await asNobody(`cat ${m}/secret`);
  t.not(read.exitCode, 0);
  t.match(read.stderr, /Permission denied/);
  t.equal((await asNobody(`cat ${m}/public`)).stdout, 'p');
  const write = await asNobody(`echo x >> ${m}/public`);
  t.match(write.stderr, /Permission denied/);
  t.match((await asNobody(`touch ${m}/new`)).stderr, /Permission denied/, 'root-owned 0755 dir');
  const mine = await asNobody(`echo mine > ${m}/tmp/mine && mkdir ${m}/tmp/dir && ln -s x ${m}/tmp/link`);
  t.equal(mine.exitCode, 0, mine.stderr);
  for (const n of ['mine', 'dir', 'link']) {
    const st = lstatSync(join(m, 'tmp', n));
    t.same([st.uid, st.gid], [65534, 65534], `${n} is owned by its creator`);
  }
  t.same([lstatSync(join(d.upper, 'tmp', 'mine')).uid], [65534], 'in the upper too');
  t.match((await asNobody(`chmod 777 ${m}/secret`)).stderr, /Operation not permitted/);
  t.equal(lstatSync(join(l1, 'secret')).mode & 0o777, 0o600, 'lower unchanged');
});
