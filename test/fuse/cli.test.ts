// ovl-fuse as a user runs it: detaches once the mount is live, `ovl-fuse umount` and SIGTERM
// stop it cleanly, validation errors are one line with exit 2 and leave the user's dirs alone,
// read-only mounts answer EROFS.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import t from 'tap';
import { isMounted, listMounts, umountSurely } from '../../src/sys/index.js';
import { fuseOptions, mountFuse, ovlFuseBin } from '../helpers/fuse.js';
import { layerDirs, mountKernel } from '../helpers/layers.js';
import { mountTmpfs } from '../../src/sys/tmpfs.js';
import { tmpfsAt } from '../helpers/scratch-fs.js';
import { outcome } from '../helpers/tree.js';

const run = (args: string[]) => execa(ovlFuseBin, args, { reject: false, env: { CI: '' } });

/** pids of ovl-fuse daemons serving `merged` (from their command lines). */
async function daemons(merged: string): Promise<string[]> {
  const r = await execa('pgrep', ['-f', `ovl-fuse -f .* ${merged}$`], { reject: false });
  return r.stdout.split('\n').filter(Boolean);
}

async function waitGone(merged: string): Promise<void> {
  for (let i = 0; i < 200 && (await daemons(merged)).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
}

t.test('detaches once live, ovl-fuse umount stops the daemon', async (t) => {
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'f');
  t.teardown(() => waitGone(d.merged));
  const r = await run(['-o', fuseOptions(d), d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  t.ok(isMounted(d.merged), 'mounted when the command returns');
  t.same(readdirSync(d.merged), ['f']);
  const m = listMounts().find((e) => e.target === d.merged)!;
  t.equal(m.fstype, 'fuse.ovl-fuse');
  t.equal((await daemons(d.merged)).length, 1);
  const u = await run(['umount', d.merged]);
  t.equal(u.exitCode, 0, u.stderr);
  t.notOk(isMounted(d.merged));
  await waitGone(d.merged);
  t.same(await daemons(d.merged), [], 'daemon exited after the unmount');
});

t.test('ovl-fuse umount returns once the daemon let go of the layers, as the kernel overlay has', async (t) => {
  // A lower on a tmpfs: a script's umount of the overlay and then of the tmpfs must both succeed,
  // as with the kernel's. Also with the mount on top of that lower (ovl-fuse then holds an fd on
  // the dir it covers; fuse-native's libfuse refuses such a mount point).
  for (const [transport, onLower] of [['dev', false], ['dev', true], ['fuse-native', false]] as const) {
    const d = layerDirs(t, 1);
    const lower = tmpfsAt(d, join(d.root, 'T'));
    writeFileSync(join(lower, 'f'), 'f');
    const merged = onLower ? lower : d.merged;
    const how = `${transport}${onLower ? ', on its lower' : ''}`;
    const opts = `lowerdir=${lower},upperdir=${d.upper},workdir=${d.work},transport=${transport}`;
    t.equal((await run(['-o', opts, merged])).exitCode, 0, `${how}: mounted`);
    t.same(readdirSync(merged), ['f']);
    // One after the other, as a script runs them.
    const r = await execa('sh', ['-c', `"$0" umount "$1" && umount "$2"`, ovlFuseBin, merged, lower], { reject: false, env: { CI: '' } });
    t.same([r.exitCode, r.stderr], [0, ''], `${how}: the overlay unmounted, then the lower's tmpfs`);
    t.same(await daemons(merged), [], `${how}: the daemon has exited`);
  }
});

t.test('run with node (`node bin/ovl-fuse`, as scripts do) it detaches too', async (t) => {
  // bin/ovl-fuse is an sh script and an ES module: node runs the module part, which detaches itself.
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'f');
  t.teardown(async () => {
    if (isMounted(d.merged)) await umountSurely(d.merged);
    await waitGone(d.merged);
  });
  const r = await execa(process.execPath, [ovlFuseBin, '-o', fuseOptions(d), d.merged], { reject: false });
  t.equal(r.exitCode, 0, r.stderr);
  t.same(readdirSync(d.merged), ['f']);
  t.equal((await daemons(d.merged)).length, 1);
});

t.test('SIGTERM unmounts and exits 0', async (t) => {
  const d = layerDirs(t, 1);
  const m = await mountFuse(t, d);
  m.child.kill('SIGTERM');
  t.equal(await m.exited, 0);
  t.notOk(isMounted(d.merged));
});

t.test('a plain umount from outside ends the daemon too', async (t) => {
  const d = layerDirs(t, 1);
  const m = await mountFuse(t, d);
  await umountSurely(d.merged);
  t.equal(await m.exited, 0);
});

t.test('ovl-fuse umount of a path not mounted or missing: one line naming it, exit 2', async (t) => {
  const d = layerDirs(t, 1);
  const notMounted = await run(['umount', d.merged]);
  t.same([notMounted.exitCode, notMounted.stderr], [2, `ovl-fuse: ${d.merged}: not a mount point`]);
  const missing = join(d.root, 'nope');
  const gone = await run(['umount', missing]);
  t.same([gone.exitCode, gone.stderr], [2, `ovl-fuse: ${missing}: no such directory`]);
});

t.test('ovl-fuse umount leaves alone what is not an ovl-fuse mount: one line naming it, exit 2', async (t) => {
  const d = layerDirs(t, 1);
  const tm = join(d.root, 'tm');
  mkdirSync(tm);
  d.track(tm);
  mountTmpfs(tm, '1m');
  const tmpfs = await run(['umount', tm]);
  t.same([tmpfs.exitCode, tmpfs.stderr], [2, `ovl-fuse: ${tm}: not an ovl-fuse mount (tmpfs is mounted there)`]);
  t.ok(isMounted(tm), 'the tmpfs stays');
  mountKernel(d);
  const kernel = await run(['umount', d.merged]);
  t.same([kernel.exitCode, kernel.stderr], [2, `ovl-fuse: ${d.merged}: not an ovl-fuse mount (overlay is mounted there)`]);
  t.ok(isMounted(d.merged), 'the kernel overlay stays');
});

// A review found the last mountinfo line taken as the top mount: a tmpfs moved on top of an
// ovl-fuse mount is listed before it (creation order), and was removed.
t.test('ovl-fuse umount judges the mount on top, also one moved there after ours', async (t) => {
  const d = layerDirs(t, 1);
  t.teardown(() => waitGone(d.merged));
  const tm = join(d.root, 'tm');
  mkdirSync(tm);
  mountTmpfs(tm, '1m');
  t.teardown(() => umountSurely(tm));
  const r = await run(['-o', fuseOptions(d), d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  t.teardown(() => umountSurely(d.merged));
  await execa('mount', ['--move', tm, d.merged]);
  t.teardown(() => umountSurely(d.merged));
  const u = await run(['umount', d.merged]);
  t.same([u.exitCode, u.stderr], [2, `ovl-fuse: ${d.merged}: not an ovl-fuse mount (tmpfs is mounted there)`]);
  t.equal(listMounts().filter((e) => e.target === d.merged).length, 2, 'both mounts stay');
});

// The next review: an ovl-fuse mount hidden under a mount of an ancestor has no mount stacked on
// it at its path either, and was taken for the top; the tmpfs really at the path went.
t.test('ovl-fuse umount judges the mount the path goes through, not one hidden under an ancestor', async (t) => {
  const d = layerDirs(t, 1);
  t.teardown(() => waitGone(join(d.root, 'x', 'merged')));
  const x = join(d.root, 'x');
  const merged = join(x, 'merged');
  mkdirSync(merged, { recursive: true });
  const r = await run(['-o', fuseOptions(d), merged]);
  t.equal(r.exitCode, 0, r.stderr);
  t.teardown(async () => {
    await umountSurely(x);
    await umountSurely(merged);
  });
  mountTmpfs(x, '1m');
  mkdirSync(merged);
  mountTmpfs(merged, '1m');
  const u = await run(['umount', merged]);
  t.same([u.exitCode, u.stderr], [2, `ovl-fuse: ${merged}: not an ovl-fuse mount (tmpfs is mounted there)`]);
  t.equal(listMounts().filter((e) => e.target === merged).length, 2, 'the hidden ovl-fuse mount and the tmpfs both stay');
});

t.test('ovl-fuse umount takes a transport=fuse-native mount (fuse.ovl-fuse too)', async (t) => {
  const d = layerDirs(t, 1);
  t.teardown(() => waitGone(d.merged));
  const r = await run(['-o', fuseOptions(d, 'transport=fuse-native'), d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  t.equal(listMounts().find((e) => e.target === d.merged)?.fstype, 'fuse.ovl-fuse');
  const u = await run(['umount', d.merged]);
  t.equal(u.exitCode, 0, u.stderr);
  t.notOk(isMounted(d.merged));
});

t.test('ovl-fuse umount through a symlink to the mount point, as umount(8) takes it', async (t) => {
  const d = layerDirs(t, 1);
  t.teardown(async () => {
    if (isMounted(d.merged)) await umountSurely(d.merged);
    await waitGone(d.merged);
  });
  t.equal((await run(['-o', fuseOptions(d), d.merged])).exitCode, 0);
  const link = join(d.root, 'link');
  symlinkSync(d.merged, link);
  const u = await run(['umount', link]);
  t.equal(u.exitCode, 0, u.stderr);
  t.notOk(isMounted(d.merged));
});

t.test('ovl-fuse umount takes down a mount whose daemon was killed (ENOTCONN)', async (t) => {
  const d = layerDirs(t, 1);
  t.teardown(() => waitGone(d.merged));
  t.equal((await run(['-o', fuseOptions(d), d.merged])).exitCode, 0);
  for (const pid of await daemons(d.merged)) process.kill(Number(pid), 'SIGKILL');
  await waitGone(d.merged);
  t.ok(isMounted(d.merged), 'still mounted, its daemon gone');
  const u = await run(['umount', d.merged]);
  t.equal(u.exitCode, 0, u.stderr);
  t.notOk(isMounted(d.merged));
});

t.test('SOURCE MERGED names the mount, as mount -t overlay SOURCE MERGED; on both transports', async (t) => {
  for (const [transport, source] of [['dev', 'my-layers'], ['fuse-native', 'a,b\\c']] as const) {
    const d = layerDirs(t, 1);
    t.teardown(() => waitGone(d.merged));
    const r = await run(['-o', `${fuseOptions(d)},transport=${transport}`, source, d.merged]);
    t.equal(r.exitCode, 0, r.stderr);
    t.equal(listMounts().find((e) => e.target === d.merged)?.source, source, `${transport}: the source in mountinfo`);
    t.equal((await run(['umount', d.merged])).exitCode, 0);
  }
  const d = layerDirs(t, 1);
  const three = await run(['-o', fuseOptions(d), 'a', 'b', d.merged]);
  t.same([three.exitCode, three.stderr.trim()], [2, 'ovl-fuse: too many arguments: expected at most 2']);
  const empty = await run(['-o', fuseOptions(d), '', d.merged]);
  t.same([empty.exitCode, empty.stderr.trim()], [2, 'ovl-fuse: empty source']);
  t.notOk(isMounted(d.merged));
});

t.test("mount.fuse3, the helper mount(8) runs for an fstab line of type fuse.ovl-fuse, mounts it", async (t) => {
  // mount(8) keeps nofail, _netdev, x-*, noauto for itself and runs mount.fuse3 with what is left
  // (and with ovl-fuse looked up in /usr/sbin:/usr/bin:/sbin:/bin, which a test leaves alone: the
  // helper is run here as mount(8) runs it, with bin/ in its PATH).
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  t.teardown(() => waitGone(d.merged));
  const r = await execa('mount.fuse3', ['fstab-layers', d.merged, '-t', 'fuse.ovl-fuse', '-o', `rw,${fuseOptions(d)},dev,suid`], {
    reject: false,
    env: { CI: '', PATH: `${join(ovlFuseBin, '..')}:${process.env.PATH}` },
  });
  t.equal(r.exitCode, 0, r.stderr);
  const m = listMounts().find((e) => e.target === d.merged);
  t.same([m?.fstype, m?.source], ['fuse.ovl-fuse', 'fstab-layers']);
  writeFileSync(join(d.merged, 'f'), 'changed');
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'changed', 'a live overlay: the write copied f up');
  t.equal((await execa('umount', [d.merged], { reject: false })).exitCode, 0, 'umount(8) takes it down');
});

t.test('mount -o remount,rw (mount.fuse3 as mount(8) runs it) makes a mount made ro with an upper writable, and back', async (t) => {
  // A review: "unknown mount option remount" (exit 2), and only `mount -i -o remount,rw` worked.
  const d = layerDirs(t, 1);
  writeFileSync(join(d.lowers[0]!, 'f'), 'lower');
  t.teardown(() => waitGone(d.merged));
  const env = { CI: '', PATH: `${join(ovlFuseBin, '..')}:${process.env.PATH}` };
  const helper = (options: string) => execa('mount.fuse3', ['layers', d.merged, '-t', 'fuse.ovl-fuse', '-o', options], { reject: false, env });
  const flags = () => listMounts().find((e) => e.target === d.merged)?.mountOptions.split(',') ?? [];
  t.equal((await helper(`ro,${fuseOptions(d)}`)).exitCode, 0);
  t.throws(() => writeFileSync(join(d.merged, 'f'), 'x'), { code: 'EROFS' });
  // What mount(8) hands the helper for `mount -o remount,rw MERGED`: mountinfo's options, then ours.
  const rw = await helper('rw,relatime,remount,user_id=0,group_id=0,default_permissions,allow_other,dev,suid');
  t.same([rw.exitCode, rw.stderr], [0, '']);
  t.notOk(flags().includes('ro'), 'mounted rw now');
  writeFileSync(join(d.merged, 'f'), 'changed');
  t.equal(readFileSync(join(d.upper, 'f'), 'utf8'), 'changed', 'the write copied f up');
  // And the command line's own form (bin/ovl-fuse's sh part waits for its verdict): flags not named stay.
  const ro = await run(['-o', 'remount,ro,nosuid', d.merged]);
  t.same([ro.exitCode, ro.stderr], [0, '']);
  t.match(flags(), ['ro', 'nosuid']);
  t.throws(() => writeFileSync(join(d.merged, 'g'), 'x'), { code: 'EROFS' });
  const again = await run(['-o', 'remount,rw', d.merged]);
  t.equal(again.exitCode, 0, again.stderr);
  t.ok(!flags().includes('ro') && flags().includes('nosuid'), `rw, still nosuid: ${flags().join(',')}`);
  t.equal((await execa('umount', [d.merged], { reject: false })).exitCode, 0);
  // Not ours: a usage error naming the path.
  const notOurs = await run(['-o', 'remount,rw', d.root]);
  t.same([notOurs.exitCode, notOurs.stderr.trim().split('\n').length], [2, 1]);
  t.match(notOurs.stderr, `${d.root}: `);
});

t.test('validation errors: one line, exit 2, nothing created', async (t) => {
  const d = layerDirs(t, 2);
  const other = join(d.root, 'other');
  const cases: Array<[string, string, RegExp]> = [
    ['missing workdir', `lowerdir=${d.lowers[0]},upperdir=${d.upper}`, /missing 'workdir'/],
    ['workdir inside upper', `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${join(d.upper, 'w')}`, /separate subtrees|no such directory/],
    ['lower inside upper', `lowerdir=${d.upper}/x,upperdir=${d.upper},workdir=${d.work}`, /overlapping|no such directory/],
    ['upper equal to a lower', `lowerdir=${d.lowers[0]},upperdir=${d.lowers[0]},workdir=${d.work}`, /conflicting lowerdir path/],
    ['missing lower', `lowerdir=${other},upperdir=${d.upper},workdir=${d.work}`, /lowerdir .*other: no such directory/],
    ['one lower without upper', `lowerdir=${d.lowers[0]}`, /at least 2 lowerdir/],
    ['index=on', `${fuseOptions(d)},index=on`, /unsupported mount option index=on/],
    ['a data-only layer given twice', `lowerdir=${d.lowers[0]}::${d.lowers[1]}::${d.lowers[1]},upperdir=${d.upper},workdir=${d.work}`, /conflicting lowerdir path/],
    ['bad cache', `${fuseOptions(d)},cache=sometimes`, /cache=sometimes/],
    ['501 lowers', `lowerdir=${Array.from({ length: 501 }, () => d.lowers[0]).join(':')}`, /too many lower directories/],
  ];
  mkdirSync(join(d.upper, 'x'));
  for (const [name, opts, msg] of cases) {
    const r = await run(['-o', opts, d.merged]);
    t.equal(r.exitCode, 2, `${name}: exit 2`);
    t.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line`);
    t.match(r.stderr, msg, name);
  }
  writeFileSync(join(d.root, 'file'), '');
  const notDir = await run(['-o', fuseOptions(d), join(d.root, 'file')]);
  t.equal(notDir.exitCode, 2);
  t.match(notDir.stderr, /mount point .*file: not a directory/);
  t.same(readdirSync(d.work), [], 'workdir untouched');
  t.same(readdirSync(d.upper), ['x'], 'upper untouched');
  t.notOk(existsSync(join(d.work, 'work')));
  t.notOk(isMounted(d.merged));
});

t.test('a user without CAP_SYS_ADMIN: exit 2, one line, the workdir as it was', async (t) => {
  const d = layerDirs(t, 1);
  // The user must reach the dirs, so that only the mount itself is what it may not do.
  for (const dir of [d.root, d.upper, d.work, d.merged]) chmodSync(dir, 0o777);
  const r = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', ovlFuseBin, '-o', fuseOptions(d), d.merged], { reject: false, env: { CI: '' } });
  t.same([r.exitCode, r.stderr], [2, `ovl-fuse: ${d.merged}: mounting needs CAP_SYS_ADMIN (root, or root of a user namespace)`]);
  t.same(readdirSync(d.work), [], 'no work/ made');
  t.notOk(isMounted(d.merged));
});

t.test('workdir on another filesystem than upperdir is refused', async (t) => {
  const d = layerDirs(t, 1);
  const tmpfs = tmpfsAt(d, join(d.root, 'tmpfs'));
  const r = await run(['-o', `lowerdir=${d.lowers[0]},upperdir=${d.upper},workdir=${tmpfs}`, d.merged]);
  t.equal(r.exitCode, 2);
  t.match(r.stderr, /workdir and upperdir must reside under the same mount/);
});

t.test('layer paths with an escaped colon or comma', async (t) => {
  const d = layerDirs(t, 1);
  const odd = join(d.root, 'c:olon,comma');
  mkdirSync(odd);
  writeFileSync(join(odd, 'from-odd'), '');
  writeFileSync(join(d.lowers[0]!, 'from-l1'), '');
  const r = await run(['-o', `lowerdir=${d.lowers[0]}:${odd.replace(/[:,]/g, (c) => '\\' + c)},upperdir=${d.upper},workdir=${d.work}`, d.merged]);
  t.equal(r.exitCode, 0, r.stderr);
  t.teardown(() => umountSurely(d.merged));
  t.same(readdirSync(d.merged).sort(), ['from-l1', 'from-odd']);
});

t.test('read-only overlays answer EROFS', async (t) => {
  const d = layerDirs(t, 2);
  writeFileSync(join(d.lowers[1]!, 'f'), 'f');
  await mountFuse(t, d, '', true);
  t.equal(outcome(() => writeFileSync(join(d.merged, 'f'), 'x')), 'EROFS');
  t.equal(outcome(() => mkdirSync(join(d.merged, 'n'))), 'EROFS');
  t.same(readdirSync(d.merged), ['f']);
});
